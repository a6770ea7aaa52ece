// Regions of a slide and the cells each holds (issue 18, first part: regions from GeoJSON in QuPath's conventions,
// counts per region, detections exported for QuPath). On a real FNC slide counted by the bundled model.
#include "test_support.h"
#include "core/counter.h"
#include "core/export.h"
#include "core/model_file.h"
#include "core/numeric_locale.h"
#include "core/imagej_roi.h"
#include "core/regions.h"
#include "core/zip_archive.h"

#include <QTest>

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

using namespace fluocount;
using namespace fluocount::test;

namespace {

std::string rectangles(const std::vector<std::pair<std::string, cv::Rect2d>>& named) {
  nlohmann::json features = nlohmann::json::array();
  for (const auto& [name, r] : named)
    features.push_back(
        {{"type", "Feature"},
         {"geometry",
          {{"type", "Polygon"},
           {"coordinates",
            {{{r.x, r.y}, {r.x + r.width, r.y}, {r.x + r.width, r.y + r.height}, {r.x, r.y + r.height}, {r.x, r.y}}}}}},
         {"properties", {{"objectType", "annotation"}, {"classification", {{"name", name}}}}}});
  return nlohmann::json{{"type", "FeatureCollection"}, {"features", features}}.dump();
}

void expectRegionError(const std::string& geojson, const char* what) {
  try {
    parseRegions(geojson, {1600, 1200}, "slide.geojson");
    QFAIL(qPrintable(QString("accepted: ") + geojson.c_str()));
  } catch (const RegionError& e) {
    const QString message = e.what();
    QVERIFY2(message.contains("slide.geojson") && message.contains(what, Qt::CaseInsensitive), e.what());
  }
}

}  // namespace

namespace {

// Text as Java writes strings into ROI properties: UTF-16 big-endian (ASCII here).
std::string utf16(const std::string& ascii) {
  std::string text;
  for (const char c : ascii) text += std::string(1, '\0') + c;
  return text;
}

}  // namespace

class TestRegions : public QObject {
  Q_OBJECT
  ImageCount counted_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    CountSettings settings;
    settings.cellDiameterPx = 33;
    counted_ = CellCounter::withModel(loadModel(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel"), settings)
                   .count(dataFile(kRedSlide));
    QVERIFY(counted_.detection.count() > 20);
  }

  // Four quadrants tile the slide: their counts add up to the slide's, and their areas to its area.
  void regionsThatTileTheImageShareItsCells() {
    const double w = counted_.size.width, h = counted_.size.height;
    const std::vector<Region> regions = parseRegions(rectangles({{"NW", {0, 0, w / 2, h / 2}},
                                                                 {"NE", {w / 2, 0, w / 2, h / 2}},
                                                                 {"SW", {0, h / 2, w / 2, h / 2}},
                                                                 {"SE", {w / 2, h / 2, w / 2, h / 2}}}),
                                                     counted_.size, "quadrants.geojson");
    const std::vector<RegionCount> counts = countByRegion(counted_.detection, regions, counted_.size);
    QCOMPARE(counts.size(), std::size_t(4));
    int cells = 0;
    double area = 0;
    for (const RegionCount& c : counts) cells += c.count, area += c.areaPx;
    qInfo("quadrants: %d + %d + %d + %d = %d cells", counts[0].count, counts[1].count, counts[2].count, counts[3].count,
          counted_.detection.count());
    QCOMPARE(cells, counted_.detection.count());
    QCOMPARE(area, w * h);
    QCOMPARE(counts[1].name, std::string("NE"));
    const auto whole = countByRegion(counted_.detection, {}, counted_.size);
    QCOMPARE(whole.size(), std::size_t(1));
    QCOMPARE(whole[0].count, counted_.detection.count());
  }

  // objects.csv's regions column names every region that holds a cell, joined by ';', and stays readable when a
  // name holds ';' or a quote: such a name is quoted, so that splitting the field as CSV with ';' gives the names.
  void eachCellsRegionsAreNamedUnambiguously() {
    const double w = counted_.size.width, h = counted_.size.height;
    // Two overlapping halves and a quarter: every cell is in one or two of them.
    const std::vector<Region> regions = parseRegions(
        rectangles(
            {{"CA1;CA3", {0, 0, w / 2, h}}, {"DG", {w / 4, 0, w / 2, h}}, {"the \"hilus\"", {w / 2, 0, w / 2, h}}}),
        counted_.size, "overlapping.geojson");
    const std::vector<std::string> column = regionsColumn(counted_.detection.objects, regions);
    QCOMPARE(column.size(), counted_.detection.objects.size());
    int inTwo = 0;
    for (std::size_t i = 0; i < column.size(); ++i) {
      std::vector<std::string> expected;
      for (const Region& region : regions)
        if (regionHolds(region, counted_.detection.objects[i])) expected.push_back(region.name);
      // The field split as CSV with ';' as the separator.
      std::vector<std::string> names(1);
      bool quoted = false;
      const std::string& field = column[i];
      for (std::size_t c = 0; c < field.size(); ++c) {
        if (field[c] == '"' && quoted && c + 1 < field.size() && field[c + 1] == '"')
          names.back() += '"', ++c;
        else if (field[c] == '"')
          quoted = !quoted;
        else if (field[c] == ';' && !quoted)
          names.emplace_back();
        else
          names.back() += field[c];
      }
      if (field.empty()) names.clear();
      QCOMPARE(names, expected);
      inTwo += expected.size() == 2;
    }
    QVERIFY(inTwo > 0);
    QVERIFY(std::find(column.begin(), column.end(), "\"CA1;CA3\";DG") != column.end());
    QCOMPARE(regionsColumn(counted_.detection.objects, std::vector<Region>{}).front(), std::string("whole image"));
    QCOMPARE(regionsColumn(counted_.detection.objects, std::nullopt).front(), std::string());
  }

  void holesAreLeftOutOfAreaAndCells() {
    const std::string donut = R"({"type":"Feature","properties":{"name":"ring"},"geometry":{"type":"Polygon",
        "coordinates":[[[100,100],[300,100],[300,300],[100,300],[100,100]],[[150,150],[250,150],[250,250],[150,250],[150,150]]]}})";
    const std::vector<Region> regions = parseRegions(donut, {1600, 1200}, "ring.geojson");
    QCOMPARE(regions.at(0).name, std::string("ring"));
    QCOMPARE(regions[0].areaPx(), 200.0 * 200 - 100.0 * 100);
    QVERIFY(regions[0].contains({120, 120}));
    QVERIFY(!regions[0].contains({200, 200}));
    QVERIFY(!regions[0].contains({400, 200}));
  }

  void regionsRoundTripThroughGeoJson() {
    const std::string text = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"classification":{"name":"PVHr"}},"geometry":{"type":"Polygon",
       "coordinates":[[[10.5,20],[400,35.25],[380,600],[15,580],[10.5,20]]]}},
      {"type":"Feature","properties":{"name":"LHr"},"geometry":{"type":"MultiPolygon","coordinates":[
       [[[800,100],[900,100],[900,200],[800,200],[800,100]]],[[[1000,100],[1100,100],[1050,180],[1000,100]]]]}},
      {"type":"Feature","properties":{"name":"left tip","classification":{"name":"Cortex","color":[0,0,255]}},
       "geometry":{"type":"Polygon","coordinates":[[[10,700],[60,700],[60,760],[10,760],[10,700]]]}}]})";
    const std::vector<Region> read = parseRegions(text, {1600, 1200}, "regions.geojson");
    const std::vector<Region> again = parseRegions(regionsGeoJson(read), {1600, 1200}, "written.geojson");
    QCOMPARE(again.size(), std::size_t(3));
    for (std::size_t i = 0; i < read.size(); ++i) {
      QCOMPARE(again[i].name, read[i].name);
      QCOMPARE(again[i].classification, read[i].classification);
      QCOMPARE(again[i].polygons, read[i].polygons);
      QCOMPARE(again[i].areaPx(), read[i].areaPx());
    }
    QCOMPARE(read[1].polygons.size(), std::size_t(2));
    QCOMPARE(read[1].areaPx(), 100.0 * 100 + 100.0 * 80 / 2);
    // What FluoCount writes is what QuPath reads: annotations, named, and classified where they have a class.
    const auto json = nlohmann::json::parse(regionsGeoJson(read));
    QCOMPARE(json.at("type").get<std::string>(), std::string("FeatureCollection"));
    QCOMPARE(json["features"][0]["properties"]["objectType"].get<std::string>(), std::string("annotation"));
    QCOMPARE(json["features"][0]["properties"]["classification"]["name"].get<std::string>(), std::string("PVHr"));
    QCOMPARE(json["features"][1]["geometry"]["type"].get<std::string>(), std::string("MultiPolygon"));
    // A QuPath annotation's class is not its name: both are kept, and the class goes into the tables.
    QCOMPARE(read[0].name, std::string("PVHr"));
    QCOMPARE(read[0].classification, std::string("PVHr"));
    QCOMPARE(read[1].classification, std::string());
    QVERIFY(!json["features"][1]["properties"].contains("classification"));
    QCOMPARE(read[2].name, std::string("left tip"));
    QCOMPARE(read[2].classification, std::string("Cortex"));
    QCOMPARE(json["features"][2]["properties"]["name"].get<std::string>(), std::string("left tip"));
    QCOMPARE(json["features"][2]["properties"]["classification"]["name"].get<std::string>(), std::string("Cortex"));
    const Detection none;
    const std::vector<RegionCount> counted = countByRegion(none, read, {1600, 1200});
    QCOMPARE(counted[2].classification, std::string("Cortex"));
    // QuPath writes a derived class ("Cortex: Layer 2") as its names, and reads a class given as a bare string.
    const std::vector<Region> classes = parseRegions(R"([
      {"type":"Feature","properties":{"classification":{"names":["Cortex","Layer 2"],"color":[0,0,255]}},
       "geometry":{"type":"Polygon","coordinates":[[[10,700],[60,700],[60,760],[10,760],[10,700]]]}},
      {"type":"Feature","properties":{"name":"DG","classification":"Hippocampus"},
       "geometry":{"type":"Polygon","coordinates":[[[10,800],[60,800],[60,860],[10,860],[10,800]]]}}])",
                                                     {1600, 1200}, "classes.geojson");
    QCOMPARE(classes[0].classification, std::string("Cortex: Layer 2"));
    QCOMPARE(classes[0].name, std::string("Cortex: Layer 2"));
    QCOMPARE(classes[1].classification, std::string("Hippocampus"));
    QCOMPARE(classes[1].name, std::string("DG"));
  }

  // The tables know a region by its image and name, so two QuPath annotations with one name (both halves of a
  // nucleus called "LHr", or unnamed ones beside a "Region 2") must not become two rows with one name: the later
  // ones get a number, as the app and the ImageJ loader name them.
  void regionsSharingANameAreToldApart() {
    const std::vector<Region> read = parseRegions(rectangles({{"LHr", {0, 0, 100, 100}},
                                                              {"", {200, 0, 100, 100}},
                                                              {"LHr", {400, 0, 100, 100}},
                                                              {"Region 2", {600, 0, 100, 100}},
                                                              {"LHr 2", {800, 0, 100, 100}}}),
                                                  {1600, 1200}, "halves.geojson");
    std::vector<std::string> names;
    for (const Region& region : read) names.push_back(region.name);
    QCOMPARE(names, (std::vector<std::string>{"LHr", "Region 2", "LHr 2", "Region 2 2", "LHr 2 2"}));
  }

  void badRegionsAreClearErrors() {
    expectRegionError("not json", "not JSON");
    expectRegionError(R"({"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":5}}]})",
                      "not GeoJSON as expected");
    expectRegionError(R"({"type":"Feature","geometry":{"type":"Point","coordinates":[5,5]}})",
                      "holds no region (1 point or line: not regions, left out)");
    expectRegionError(R"({"type":"Feature","geometry":{"type":"GeometryCollection","coordinates":[]}})",
                      "a GeometryCollection without 'geometries'");
    expectRegionError(R"({"type":"Feature","geometry":{"type":"Circle","coordinates":[5,5]}})",
                      "a region must be a Polygon, MultiPolygon or GeometryCollection of them, not a Circle");
    expectRegionError(R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}})", "no rings");
    expectRegionError(R"({"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon",
        "coordinates":[[[0,0],[100,100],[100,0],[0,100],[0,0]]]}})",
                      "crosses itself");
    expectRegionError(
        R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1700,0],[0,100],[0,0]]]}})",
        "outside");
    expectRegionError(
        R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[10,10],[20,20],[0,0]]]}})", "no area");
    expectRegionError(R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[0,0]]]}})",
                      "3 distinct");
    expectRegionError(R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],["x",0],[5,5],[0,0]]]}})",
                      "pair of numbers");
    // The feature is named in the error, so the user finds it among many.
    try {
      parseRegions(rectangles({{"PVHr", {0, 0, 100, 100}}, {"LHr", {1500, 1100, 200, 200}}}), {1600, 1200},
                   "s.geojson");
      QFAIL("a region outside the image was accepted");
    } catch (const RegionError& e) {
      QVERIFY2(QString(e.what()).contains("feature 2 (LHr)"), e.what());
    }
  }

  // What an export of QuPath's "all objects" or a Fiji ROI set holds besides the areas a user drew: QuPath's
  // detections, cells and tiles (by each of the ways QuPath has written an object's type), and points and lines (a
  // count by hand, a measured distance). They are left out and counted, not taken for regions; a file of nothing
  // else is refused, so that it never silently reads as the whole image.
  void whatIsNotARegionIsLeftOutAndSaid() {
    const std::string square =
        R"("geometry":{"type":"Polygon","coordinates":[[[10,10],[60,10],[60,60],[10,60],[10,10]]]})";
    const std::string qupathExport =
        R"({"type":"FeatureCollection","features":[
      {"type":"Feature",)" +
        square + R"(,"properties":{"objectType":"annotation","name":"LHr"}},
      {"type":"Feature",)" +
        square + R"(,"properties":{"objectType":"detection"}},
      {"type":"Feature",)" +
        square +
        R"(,"nucleusGeometry":{"type":"Polygon","coordinates":[[[20,20],[30,20],[30,30],[20,20]]]},"properties":{"objectType":"cell"}},
      {"type":"Feature","id":"PathDetectionObject",)" +
        square + R"(},
      {"type":"Feature",)" +
        square + R"(,"properties":{"object_type":"tile"}},
      {"type":"Feature",)" +
        square + R"(,"properties":{"type":"detection"}},
      {"type":"Feature",)" +
        square + R"(,"properties":{"objectType":"something new","name":"PVHr"}},
      {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[5,5],[9,9]]},"properties":{"objectType":"annotation"}},
      {"type":"Feature","geometry":{"type":"LineString","coordinates":[[5,5],[90,9]]},"properties":{"name":"scale"}},
      {"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[5,5],[90,9]]},
        {"type":"Polygon","coordinates":[[[100,100],[200,100],[200,150],[100,100]]]}]},"properties":{"name":"CA1"}},
      {"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[5,5]}]}}]})";
    LeftOutOfRegions leftOut;
    const std::vector<Region> regions = parseRegions(qupathExport, {1600, 1200}, "slide.geojson", &leftOut);
    QCOMPARE(int(regions.size()), 3);  // an object type QuPath does not know makes an annotation, as in QuPath
    QCOMPARE(regions[0].name, std::string("LHr"));
    QCOMPARE(regions[1].name, std::string("PVHr"));
    // A GeometryCollection (QuPath writes one for a shape that mixes an area with a line) is its areas.
    QCOMPARE(regions[2].name, std::string("CA1"));
    QCOMPARE(regions[2].areaPx(), 2500.0);
    QCOMPARE(leftOut.qupathObjects, 5);
    QCOMPARE(leftOut.pointsAndLines, 3);
    QCOMPARE(leftOut.describe(), std::string("5 QuPath detections, cells or tiles and 3 points or lines: not regions, "
                                             "left out"));
    // FluoCount's own cells for QuPath are detections: given as regions, they are refused with the reason.
    try {
      parseRegions(detectionsGeoJson(counted_.detection), counted_.size, "cells.geojson");
      QFAIL("a file of detections was taken for regions");
    } catch (const RegionError& e) {
      const std::string expected = "cells.geojson: holds no region (" + std::to_string(counted_.detection.count()) +
                                   " QuPath detections, cells or tiles: not regions, left out)";
      QCOMPARE(std::string(e.what()), expected);
    }

    // A Fiji ROI set with a region, a count by hand (a multi-point ROI) and a line.
    const std::vector<ZipEntry> cells = readZipArchive(detectionsRoiSet(counted_.detection));
    const std::string& points = cells.back().data;  // the set's multi-point ROI of all cell centres
    const std::string region = encodeRoi("LHr", {{{10, 10}, {300, 20}, {150, 280}}});
    const std::string line = encodeRoi("scale bar", {{{10, 500}, {200, 500}, {100, 501}}}, /*line*/ 3);
    std::string label = encodeRoi("LHr label", {{{20, 20}, {120, 20}, {120, 40}, {20, 40}}}, /*rectangle*/ 1);
    label[49] = 1;  // subtype: text (a rectangle ROI that is a label in the overlay)
    LeftOutOfRegions leftOfSet;
    const std::vector<Region> fromSet = parseRoiRegions(
        zipArchive({{"LHr.roi", region}, {"count.roi", points}, {"scale.roi", line}, {"label.roi", label}}),
        {1600, 1200}, "RoiSet.zip", &leftOfSet);
    QCOMPARE(int(fromSet.size()), 1);
    QCOMPARE(fromSet[0].name, std::string("LHr"));
    QCOMPARE(leftOfSet.pointsAndLines, 2);
    QCOMPARE(leftOfSet.overlays, 1);
    QCOMPARE(leftOfSet.qupathObjects, 0);
    QCOMPARE(leftOfSet.describe(), std::string("2 points or lines and 1 text label or image overlay: not regions, "
                                               "left out"));
    try {
      parseRoiRegions(label, {1600, 1200}, "label.roi");
      QFAIL("a text label was taken for a region");
    } catch (const RegionError& e) {
      QVERIFY2(QString(e.what()).contains("a text label or image overlay is not a region"), e.what());
    }
    try {
      parseRoiRegions(zipArchive({{"count.roi", points}, {"scale.roi", line}}), {1600, 1200}, "RoiSet.zip");
      QFAIL("a ROI set of a point and a line was taken for regions");
    } catch (const RegionError& e) {
      QVERIFY2(QString(e.what()).contains("RoiSet.zip: the ROI set holds no region (2 points or lines"), e.what());
    }
  }

  // QuPath detections: one feature per cell, its outline a polygon along the cell's pixel edges that holds its
  // centroid, measurements carried along.
  void detectionsExportForQuPath() {
    const auto json = nlohmann::json::parse(detectionsGeoJson(counted_.detection));
    const auto& features = json.at("features");
    QCOMPARE(int(features.size()), counted_.detection.count());
    int holding = 0, pinched = 0, sameArea = 0;
    for (std::size_t i = 0; i < features.size(); ++i) {
      const auto& p = features[i]["properties"];
      QCOMPARE(p["objectType"].get<std::string>(), std::string("detection"));
      QCOMPARE(p["classification"]["name"].get<std::string>(), std::string("Cell"));
      const DetectedObject& object = counted_.detection.objects[i];
      QCOMPARE(p["measurements"]["Area px^2"].get<int>(), object.areaPx);
      QCOMPARE(features[i]["geometry"]["type"].get<std::string>(), std::string("Polygon"));
      std::vector<Region> outline;
      nlohmann::json asAnnotation = features[i];  // read as a region, which a detection is not (left out)
      asAnnotation["properties"]["objectType"] = "annotation";
      try {
        outline = parseRegions(asAnnotation.dump(), counted_.size, "cell");
      } catch (const RegionError&) {
        ++pinched;  // the cell touches itself at a corner only: its outline meets itself there
        continue;
      }
      holding += outline[0].contains({object.centroid.x + 0.5, object.centroid.y + 0.5});
      // Along the pixels' edges: the outline encloses exactly the cell's pixels (and its holes, if any).
      QVERIFY(outline[0].areaPx() >= object.areaPx);
      sameArea += outline[0].areaPx() == object.areaPx;
    }
    qInfo("%d cells: %d outlines hold their centroid, %d enclose exactly the cell's pixels, %d touch themselves",
          counted_.detection.count(), holding, sameArea, pinched);
    QVERIFY(holding >= counted_.detection.count() * 9 / 10);
    QVERIFY(sameArea >= counted_.detection.count() * 9 / 10);
  }

  // What a study reports travels into QuPath with each cell: its number as objects.csv gives it, areas and centroids
  // in µm where the pixel size is known (none otherwise), every channel's mean, and the positivity call as a derived
  // class of Cell, so that QuPath counts each combination.
  void detectionsCarryUnitsChannelsAndCallsIntoQuPath() {
    const Detection& detection = counted_.detection;
    QCOMPARE(int(detection.objects[0].channelMeans.size()), 3);  // an RGB slide
    const auto withoutSize = nlohmann::json::parse(detectionsGeoJson(detection));
    QVERIFY(!withoutSize["features"][0]["properties"]["measurements"].contains("Area \u00b5m^2"));

    const PositivityRule red{1, 60};
    const auto json = nlohmann::json::parse(detectionsGeoJson(detection, {0.65, {red}}));
    int positive = 0;
    for (std::size_t i = 0; i < detection.objects.size(); ++i) {
      const DetectedObject& object = detection.objects[i];
      const auto& p = json["features"][i]["properties"];
      QCOMPARE(p["name"].get<std::string>(), "cell-" + std::to_string(object.label));
      const auto& m = p["measurements"];
      QCOMPARE(m["Area \u00b5m^2"].get<double>(), object.areaPx * 0.65 * 0.65);
      QCOMPARE(m["Centroid X \u00b5m"].get<double>(), (object.centroid.x + 0.5) * 0.65);
      QCOMPARE(m["Centroid Y \u00b5m"].get<double>(), (object.centroid.y + 0.5) * 0.65);
      for (int c = 0; c < 3; ++c) QCOMPARE(m["Mean ch" + std::to_string(c + 1)].get<double>(), object.channelMeans[c]);
      const bool isPositive = object.channelMeans[0] >= red.threshold;
      QCOMPARE(p["classification"]["name"].get<std::string>(), std::string(isPositive ? "Cell: ch1+" : "Cell: ch1-"));
      positive += isPositive;
    }
    // objects.csv gives each cell where the GeoJSON (and the ROI set) puts it, in px and in µm.
    const std::string table = objectsCsvHeader({{}, 3}) + objectsCsvRows("slide.png", detection, 0.65, {}, {{}, 3});
    const QStringList lines = QString::fromStdString(table).split('\n', Qt::SkipEmptyParts);
    const QStringList header = lines[0].split(',');
    QCOMPARE(lines.size(), detection.count() + 1);
    // The table rounds px to 2 decimals and µm to 3: equal within half its last digit.
    auto closeTo = [](const QString& field, double expected, double halfDigit) {
      return std::abs(field.toDouble() - expected) <= halfDigit + 1e-9;
    };
    for (int i = 0; i < detection.count(); ++i) {
      const QStringList fields = lines[i + 1].split(',');
      const auto& m = json["features"][i]["properties"]["measurements"];
      QVERIFY(closeTo(fields[header.indexOf("centroid_x")], m["Centroid X px"].get<double>(), 0.005));
      QVERIFY(closeTo(fields[header.indexOf("centroid_y")], m["Centroid Y px"].get<double>(), 0.005));
      QVERIFY(closeTo(fields[header.indexOf("centroid_x_um")], m["Centroid X \u00b5m"].get<double>(), 0.0005));
      QVERIFY(closeTo(fields[header.indexOf("centroid_y_um")], m["Centroid Y \u00b5m"].get<double>(), 0.0005));
    }
    qInfo("%d of %d cells ch1+ at 60", positive, detection.count());
    QVERIFY(positive > 0 && positive < detection.count());  // both calls are exercised
  }

  // Regions through an ImageJ ROI set and back: the same names, rings and classes (a hole and a two-part region as
  // composite ROIs, subpixel vertices as floats, a class as a ROI property), and the header as ImageJ's RoiDecoder
  // reads it.
  void regionsRoundTripThroughAnImageJRoiSet() {
    const std::string text = R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"name":"PVHr"},"geometry":{"type":"Polygon",
       "coordinates":[[[10.5,20],[400,35.25],[380,600],[15,580],[10.5,20]]]}},
      {"type":"Feature","properties":{"name":"ring","classification":{"name":"Cortex"}},"geometry":{"type":"Polygon","coordinates":[
       [[100,700],[300,700],[300,900],[100,900],[100,700]],[[150,750],[250,750],[250,850],[150,850],[150,750]]]}},
      {"type":"Feature","properties":{"name":"LHr \u00e9"},"geometry":{"type":"MultiPolygon","coordinates":[
       [[[800,100],[900,100],[900,200],[800,200],[800,100]]],[[[1000,100],[1100,100],[1050,180],[1000,100]]]]}}]})";
    const std::vector<Region> read = parseRegions(text, {1600, 1200}, "regions.geojson");
    const std::string zip = regionsRoiSet(read);
    const std::vector<Region> again = parseRoiRegions(zip, {1600, 1200}, "RoiSet.zip");
    QCOMPARE(again.size(), read.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
      QCOMPARE(again[i].name, read[i].name);
      QCOMPARE(again[i].polygons, read[i].polygons);
      QCOMPARE(again[i].classification, read[i].classification);  // as the ROI property "class"
    }
    QCOMPARE(again[1].classification, std::string("Cortex"));
    // The single polygon's .roi, field by field against RoiDecoder's layout.
    const std::vector<ZipEntry> entries = readZipArchive(zip);
    QCOMPARE(entries.size(), std::size_t(3));
    QCOMPARE(entries[0].name, std::string("0001-PVHr.roi"));
    const std::string& roi = entries[0].data;
    auto u16 = [&](std::size_t at) {
      return int(static_cast<unsigned char>(roi[at])) << 8 | static_cast<unsigned char>(roi[at + 1]);
    };
    auto u32 = [&](std::size_t at) { return std::uint32_t(u16(at)) << 16 | std::uint32_t(u16(at + 2)); };
    QCOMPARE(roi.substr(0, 4), std::string("Iout"));
    QCOMPARE(u16(4), 228);            // version
    QCOMPARE(int(roi[6]), 0);         // polygon
    QCOMPARE(u16(8), 20);             // top
    QCOMPARE(u16(10), 10);            // left (floor of 10.5)
    QCOMPARE(u16(12), 600);           // bottom
    QCOMPARE(u16(14), 400);           // right
    QCOMPARE(u16(16), 4);             // vertices
    QCOMPARE(u16(50) & 128, 128);     // subpixel coordinates follow the integer ones
    QCOMPARE(u16(64 + 2), 400 - 10);  // x of vertex 2, relative to left
    const std::uint32_t header2 = u32(60);
    QCOMPARE(header2, std::uint32_t(64 + 4 * 12));
    QCOMPARE(u32(header2 + 20), std::uint32_t(4));  // name length in UTF-16 units: "PVHr"
    QCOMPARE(u16(u32(header2 + 16)), int('P'));
    // A single .roi reads alone too, named after its header (else its file).
    const std::vector<Region> single = parseRoiRegions(roi, {1600, 1200}, "PVHr.roi");
    QCOMPARE(single.at(0).polygons, read[0].polygons);
  }

  // What Fiji draws from a .roi that stores less than the shape: a polygon smoothed with Fit Spline (the file keeps
  // the clicked points and a flag), a rectangle with rounded corners (the file keeps the corner diameter) and a
  // composite ROI whose path has curves. Each is checked against the shape's own area, not against this reader:
  // the clicked points alone would give these regions 10 %, 1.7 % and 36 % less area, and other cells.
  void curvesFijiDrawsAreReadAsDrawn() {
    const auto setU16 = [](std::string& roi, std::size_t at, int value) {
      roi[at] = char(value >> 8), roi[at + 1] = char(value & 255);
    };
    // Eight points clicked around a circle of radius 100, then Fit Spline: Fiji shows the circle.
    Ring clicked;
    for (int i = 0; i < 8; ++i)
      clicked.emplace_back(400 + 100 * std::cos(i * M_PI / 4), 400 + 100 * std::sin(i * M_PI / 4));
    std::string spline = encodeRoi("LHr", {clicked});
    setU16(spline, 50, 128 | 1);  // subpixel coordinates, spline fit
    const Region circle = parseRoiRegions(spline, {1600, 1200}, "LHr.roi").at(0);
    QVERIFY2(std::abs(circle.areaPx() / (M_PI * 100 * 100) - 1) < 0.005, std::to_string(circle.areaPx()).c_str());
    const cv::Point2d betweenClicks(400 + 97 * std::cos(M_PI / 8), 400 + 97 * std::sin(M_PI / 8));
    QVERIFY(circle.contains(betweenClicks));  // the clicked octagon's edge passes 92.4 px from the centre here
    QVERIFY(!circle.contains({400 + 103 * std::cos(M_PI / 8), 400 + 103 * std::sin(M_PI / 8)}));
    // The same points without the flag stay the octagon.
    std::string octagon = encodeRoi("LHr", {clicked});
    QVERIFY(std::abs(parseRoiRegions(octagon, {1600, 1200}, "LHr.roi").at(0).areaPx() - 2 * std::sqrt(2.0) * 1e4) < 1);
    // A spline through points on the image's edge bulges out of it: the region ends at the edge.
    std::string atEdge = encodeRoi("edge", {{{0, 100}, {50, 0}, {100, 100}, {50, 200}}});
    setU16(atEdge, 50, 1);
    const Region edge = parseRoiRegions(atEdge, {1600, 1200}, "edge.roi").at(0);
    for (const Ring& ring : edge.polygons.at(0))
      for (const cv::Point2d& p : ring) QVERIFY(p.x >= 0 && p.y >= 0);

    // A 200 x 100 rectangle with corners of 40 px diameter: 20,000 px² less (4 - pi) x 20².
    std::string rounded = encodeRoi("PVHr", {{{100, 100}, {300, 100}, {300, 200}, {100, 200}}}, /*rectangle*/ 1);
    setU16(rounded, 54, 40);
    const Region roundedRegion = parseRoiRegions(rounded, {1600, 1200}, "PVHr.roi").at(0);
    QVERIFY2(std::abs(roundedRegion.areaPx() - (20000 - (4 - M_PI) * 400)) < 3,
             std::to_string(roundedRegion.areaPx()).c_str());
    QVERIFY(!roundedRegion.contains({101, 101}) && roundedRegion.contains({110, 110}));

    // A composite ROI whose path is a circle of four cubic curves (as Java's shapes write one) around a square hole.
    const float k = 0.5522847498f * 100, cx = 800, cy = 400;  // k: control distance of a quarter circle's cubic
    std::vector<float> path = {0, cx + 100, cy};              // move to the circle's rightmost point
    const auto cubicTo = [&path](std::initializer_list<float> points) {
      path.push_back(3);
      path.insert(path.end(), points);
    };
    cubicTo({cx + 100, cy + k, cx + k, cy + 100, cx, cy + 100});
    cubicTo({cx - k, cy + 100, cx - 100, cy + k, cx - 100, cy});
    cubicTo({cx - 100, cy - k, cx - k, cy - 100, cx, cy - 100});
    cubicTo({cx + k, cy - 100, cx + 100, cy - k, cx + 100, cy});
    path.push_back(4);  // close
    path.insert(path.end(), {0, cx - 10, cy - 10, 1, cx + 10, cy - 10, 1, cx + 10, cy + 10, 1, cx - 10, cy + 10, 4});
    std::string composite = encodeRoi("VLPAGr", {{{700, 300}, {900, 300}, {900, 500}}, {{1, 1}, {2, 1}, {2, 2}}});
    composite.resize(64);
    composite += std::string(4 * path.size(), '\0');
    composite[36] = composite[37] = 0, setU16(composite, 38, int(path.size()));
    composite[60] = composite[61] = composite[62] = composite[63] = 0;  // no name header
    for (std::size_t i = 0; i < path.size(); ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, &path[i], 4);
      setU16(composite, 64 + 4 * i, int(bits >> 16)), setU16(composite, 66 + 4 * i, int(bits & 0xFFFF));
    }
    const Region ring = parseRoiRegions(composite, {1600, 1200}, "VLPAGr.roi").at(0);
    QVERIFY2(std::abs(ring.areaPx() / (M_PI * 100 * 100 - 400) - 1) < 0.005, std::to_string(ring.areaPx()).c_str());
    QVERIFY(ring.contains({cx + 95 * std::cos(M_PI / 4), cy + 95 * std::sin(M_PI / 4)}) && !ring.contains({cx, cy}));
  }

  // A real slide's cells as an ImageJ ROI set: one traced outline per cell, the same outline as the GeoJSON's, the
  // measurements as ROI properties, and one multi-point ROI of all centres.
  void detectionsExportAsAnImageJRoiSet() {
    const std::vector<ZipEntry> entries = readZipArchive(detectionsRoiSet(counted_.detection));
    QCOMPARE(int(entries.size()), counted_.detection.count() + 1);
    for (int i = 0; i < counted_.detection.count(); ++i) {
      const DetectedObject& object = counted_.detection.objects[i];
      QCOMPARE(int(entries[i].data[6]), 8);  // traced
      try {
        const std::vector<Region> cell = parseRoiRegions(entries[i].data, counted_.size, entries[i].name);
        QCOMPARE(cell.at(0).name, "cell-" + std::to_string(object.label));
        QCOMPARE(cell[0].polygons.at(0).at(0), cellOutline(counted_.detection, object));
      } catch (const RegionError& e) {
        QVERIFY2(QString(e.what()).contains("crosses itself"), e.what());  // a cell pinched at a corner
      }
      // The measurements as ROI properties, UTF-16 big-endian as Java writes strings.
      QVERIFY(entries[i].data.find(utf16("area_px: " + std::to_string(object.areaPx) + "\n")) != std::string::npos);
      QVERIFY(entries[i].data.find(utf16("area_um2")) == std::string::npos);  // no pixel size given
    }
    // With a pixel size and a positivity rule: the area in µm2, each channel's mean and the call.
    const std::vector<ZipEntry> measured = readZipArchive(detectionsRoiSet(counted_.detection, {0.5, {{1, 60}}}));
    const DetectedObject& first = counted_.detection.objects[0];
    for (const std::string& property : {"area_um2: " + fixedDecimal(first.areaPx * 0.25, 3) + "\n",
                                        "mean_ch2: " + measuredValue(first.channelMeans[1]) + "\n",
                                        "call: " + positivityLabel(first, {{1, 60}}) + "\n"})
      QVERIFY2(measured[0].data.find(utf16(property)) != std::string::npos, property.c_str());
    const std::string& points = entries.back().data;
    QCOMPARE(entries.back().name, std::string("cell-centres.roi"));
    QCOMPARE(int(points[6]), 10);  // point
    QCOMPARE(int(static_cast<unsigned char>(points[16])) << 8 | static_cast<unsigned char>(points[17]),
             counted_.detection.count());
    try {
      parseRoiRegions(points, counted_.size, "cell-centres.roi");
      QFAIL("a point ROI was taken for a region");
    } catch (const RegionError& e) {
      QVERIFY2(QString(e.what()).contains("not a region"), e.what());
    }
  }

  void badRoiSetsAreClearErrors() {
    const std::string good = encodeRoi("LHr", {{{10, 10}, {300, 20}, {150, 280}}});
    auto expectError = [](const std::string& bytes, const char* what) {
      try {
        parseRoiRegions(bytes, {1600, 1200}, "RoiSet.zip");
        QFAIL(qPrintable(QString("accepted, expected: ") + what));
      } catch (const RegionError& e) {
        QVERIFY2(QString(e.what()).contains("RoiSet.zip") && QString(e.what()).contains(what, Qt::CaseInsensitive),
                 e.what());
      }
    };
    expectError("PK\x03\x04 not really", "not an ImageJ ROI or ROI set");
    expectError(good.substr(0, 70), "cut short");
    expectError(encodeRoi("bow", {{{0, 0}, {100, 100}, {100, 0}, {0, 100}}}), "crosses itself");
    expectError(encodeRoi("far", {{{0, 0}, {1700, 0}, {0, 100}}}), "outside");
    std::string zip = zipArchive({{"LHr.roi", good}});
    zip[40] ^= 0x5A;  // damage the entry's data: its CRC no longer matches
    expectError(zip, "CRC-32");
    expectError(zipArchive({}), "holds no ROI");
  }
};

QTEST_GUILESS_MAIN(TestRegions)
#include "test_regions.moc"
