// What ImageJ itself makes of FluoCount's files, and what FluoCount must make of ImageJ's: run by
// tests/interop/imagej_interop.sh with Debian's ImageJ (libij-java) on the class path, headless. Each mode prints
// what it compared and exits 1 on the first file that ImageJ reads differently from what FluoCount meant.
//
//   reads-output <out> [<um>]    ImageJ opens each slide `count --out <out>` counted, and the ROI sets and label
//                                masks it wrote: the pixel size is the one ImageJ reads (<um>: --pixel-size's,
//                                for files that declare none), each cell's outline encloses the pixels, centroid
//                                and channel means of objects.csv (and its properties carry them), the point ROI
//                                holds every centre, the label mask every cell.
//   checks-regions <expected.csv> <regions.csv>
//                                `count --regions` found in each of make-regions' ROIs the cells ImageJ finds
//                                inside it, in the area its outline encloses.
//   make-regions <image> <objects.csv> <dir>
//                                ImageJ draws one region of each kind a user draws in Fiji (rectangle, rounded
//                                rectangle, oval, ellipse, polygon, spline-fit polygon, freehand, composite with a
//                                hole) and saves them as the ROI Manager does, to <dir>/<stem>.zip; it writes
//                                <dir>/expected.csv: each region's cells (the centroids inside the outline ImageJ
//                                draws) and the area of that outline.
//   checks-round-trip <drawn.zip> <returned.zip> <width> <height>
//                                The regions ImageJ drew, read by FluoCount and written back through its GeoJSON
//                                and ROI-set writers, are the same regions to ImageJ.
//   make-hand-count <objects.csv> <image> <file>
//                                A multi-point ROI (Fiji's point tool, sub-pixel), one mark at each detected centre.
//   make-calibrated-stack <png> <um> <tif>
//                                The RGB slide as a 16-bit three-channel composite (values x257) with a pixel
//                                size in microns, saved as ImageJ saves a TIFF.
//   make-z-stack <png> <slices> <tif>
//                                A two-channel hyperstack of z-slices, each another colour of the slide, shifted.
//   make-calibrated <png> <width> <height> <unit> <tif>
//                                The slide in gray with that pixel size, as Image > Properties sets it.
//   fiji-count <method> <diameter> <out> <image>...
//                                Fiji's threshold (Auto Threshold <method>) + watershed count of each image, as a
//                                16-bit label image <out>/<stem>.tif (models/fiji-baseline.sh scores them).
//   make-fiji-mask <png> <tif>   A binary mask as Fiji's Convert to Mask leaves it (inverting LUT) saved as TIFF.

import ij.IJ;
import ij.ImagePlus;
import ij.CompositeImage;
import ij.ImageStack;
import ij.gui.*;
import ij.io.RoiDecoder;
import ij.io.RoiEncoder;
import ij.plugin.ZProjector;
import ij.measure.Calibration;
import ij.measure.Measurements;
import ij.process.*;

import java.awt.Rectangle;
import java.awt.geom.PathIterator;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

public class ImageJChecks {
  static int failures = 0;

  static void fail(String what) {
    System.out.println("MISMATCH " + what);
    failures++;
  }

  static List<Roi> readRoiSet(Path zip) throws IOException {
    List<Roi> rois = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(new FileInputStream(zip.toFile()))) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        Roi roi = new RoiDecoder(in.readAllBytes(), entry.getName()).getRoi();
        if (roi == null) fail(zip + ": ImageJ cannot decode " + entry.getName());
        else rois.add(roi);
      }
    }
    return rois;
  }

  static void writeRoiSet(List<Roi> rois, Path zip) throws IOException {
    try (ZipOutputStream zos = new ZipOutputStream(new FileOutputStream(zip.toFile()))) {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(zos));
      RoiEncoder encoder = new RoiEncoder(out);
      for (Roi roi : rois) {
        zos.putNextEntry(new ZipEntry(roi.getName() + ".roi"));
        encoder.write(roi);
        out.flush();
      }
      out.close();
    }
  }

  static boolean near(double a, double b, double tolerance) { return Math.abs(a - b) <= tolerance; }

  static List<Map<String, String>> csvRows(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    String[] header = lines.get(0).split(",");
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] fields = line.split(",", -1);
      Map<String, String> row = new HashMap<>();
      for (int i = 0; i < header.length && i < fields.length; i++) row.put(header[i], fields[i]);
      rows.add(row);
    }
    return rows;
  }

  // objects.csv rows of one image (by its file name), by object number.
  static Map<Integer, Map<String, String>> objectsOf(Path csv, String imageFileName) throws IOException {
    Map<Integer, Map<String, String>> objects = new TreeMap<>();
    for (Map<String, String> row : csvRows(csv))
      if (Paths.get(row.get("file")).getFileName().toString().equals(imageFileName))
        objects.put(Integer.parseInt(row.get("object")), row);
    return objects;
  }

  static String stemOf(String file) { return Paths.get(file).getFileName().toString().replaceAll("\\.[^.]*$", ""); }

  // The planes a user measures a cell in: an RGB slide's red, green and blue, a stack's channels.
  static List<ImageProcessor> channelsOf(ImagePlus image) {
    List<ImageProcessor> channels = new ArrayList<>();
    if (image.getProcessor() instanceof ColorProcessor) {
      for (int c = 1; c <= 3; c++) channels.add(((ColorProcessor) image.getProcessor()).getChannel(c, null));
    } else {  // a hyperstack's channels in the first time frame, a z-stack's as Z Project's maximum shows them
      ImagePlus plane = image.getNSlices() > 1 ? ZProjector.run(image, "max", 1, image.getNSlices()) : image;
      for (int c = 1; c <= image.getNChannels(); c++)
        channels.add(plane.getStack().getProcessor(plane.getStackIndex(c, 1, 1)));
    }
    return channels;
  }

  // Each slide of counts.csv as ImageJ opens it: the pixel size ImageJ reads from the file (or `givenUm`, what
  // --pixel-size gave, where the file declares none), and every cell of the slide's ROI set measured by ImageJ,
  // in pixels, in microns and in each channel, against objects.csv, the ROI's properties and the label mask.
  static void readsOutput(Path out, double givenUm) throws IOException {
    List<Map<String, String>> objectRows = csvRows(out.resolve("objects.csv"));
    for (Map<String, String> slide : csvRows(out.resolve("counts.csv"))) {
      String file = slide.get("file"), stem = stemOf(file);
      ImagePlus image = IJ.openImage(file);
      if (image == null) { fail("ImageJ cannot open the slide " + file); continue; }
      Calibration calibration = image.getCalibration();
      double fromFile = micronsPerPixel(calibration), um = fromFile > 0 ? fromFile : givenUm;
      String declared = slide.get("pixel_size_um"), source = slide.get("pixel_size_source");  // 6 decimals
      boolean agrees = fromFile > 0 ? source.equals("ImageJ") && near(Double.parseDouble(declared), um, 5.1e-7)
                                    : givenUm > 0 || (declared.isEmpty() && source.equals("none"));
      if (!agrees)
        fail(stem + ": ImageJ reads " + calibration.pixelWidth + " x " + calibration.pixelHeight + " "
             + calibration.getUnit() + " per pixel; counts.csv " + declared + " from " + source);
      Map<Integer, Map<String, String>> objects = new TreeMap<>();
      for (Map<String, String> row : objectRows)
        if (row.get("file").equals(file)) objects.put(Integer.parseInt(row.get("object")), row);
      if (objects.size() != Integer.parseInt(slide.get("count")))
        fail(stem + ": " + objects.size() + " rows in objects.csv for a count of " + slide.get("count"));
      List<ImageProcessor> channels = channelsOf(image);
      int cells = 0, pointRois = 0, markedCentres = 0;
      for (Roi roi : readRoiSet(out.resolve("roisets").resolve(stem + ".zip"))) {
        if (roi instanceof PointRoi) {
          pointRois++;
          FloatPolygon marks = roi.getFloatPolygon();
          markedCentres = marks.npoints;
          for (int i = 0; i < marks.npoints; i++) {
            Map<String, String> row = objects.get(i + 1);
            if (row != null && !(near(marks.xpoints[i], Double.parseDouble(row.get("centroid_x")), 0.01)
                                 && near(marks.ypoints[i], Double.parseDouble(row.get("centroid_y")), 0.01)))
              fail(stem + ": point " + (i + 1) + " at " + marks.xpoints[i] + "," + marks.ypoints[i]);
          }
          continue;
        }
        cells++;
        Map<String, String> row = objects.get(Integer.parseInt(roi.getName().replaceAll("^cell-", "")));
        if (row == null) { fail(stem + ": " + roi.getName() + " is in no row of objects.csv"); continue; }
        checkCell(stem, roi, row, channels, um);
      }
      if (cells != objects.size()) fail(stem + ": " + cells + " outlines for " + objects.size() + " cells");
      if (pointRois != 1 || markedCentres != objects.size())
        fail(stem + ": " + pointRois + " point ROI(s) marking " + markedCentres + " centres for " + objects.size());
      ImagePlus labels = IJ.openImage(out.resolve("labels").resolve(stem + ".png").toString());
      if (labels == null) { fail("ImageJ cannot open the label mask of " + stem); continue; }
      int[] pixelsPerLabel = new int[65536];
      ImageProcessor ip = labels.getProcessor();
      for (int y = 0; y < ip.getHeight(); y++)
        for (int x = 0; x < ip.getWidth(); x++) pixelsPerLabel[ip.get(x, y)]++;
      for (Map.Entry<Integer, Map<String, String>> e : objects.entrySet())
        if (pixelsPerLabel[e.getKey()] != Integer.parseInt(e.getValue().get("area_px")))
          fail(stem + ": label " + e.getKey() + " covers " + pixelsPerLabel[e.getKey()] + " px");
      System.out.printf(Locale.ROOT, "%s: %d cells, %d channel(s), %s um/px; ImageJ reads %d outlines enclosing "
                            + "objects.csv's pixels and intensities, %d centres, a %d-bit label mask%n",
                        stem, objects.size(), channels.size(), um > 0 ? String.valueOf(um) : "no", cells,
                        markedCentres, labels.getBitDepth());
    }
  }

  // One cell's outline as ImageJ measures it (Analyze > Measure: area, centroid, mean) against FluoCount's row.
  static void checkCell(String stem, Roi roi, Map<String, String> row, List<ImageProcessor> channels, double um) {
    String cell = stem + " " + roi.getName();
    ImageProcessor first = channels.get(0);
    first.setRoi(roi);
    ImageStatistics measured = ImageStatistics.getStatistics(first, Measurements.AREA | Measurements.CENTROID, null);
    int area = Integer.parseInt(row.get("area_px"));
    double x = Double.parseDouble(row.get("centroid_x")), y = Double.parseDouble(row.get("centroid_y"));
    if (measured.pixelCount != area || !near(measured.xCentroid, x, 0.006) || !near(measured.yCentroid, y, 0.006))
      fail(cell + ": ImageJ measures " + measured.pixelCount + " px at " + measured.xCentroid + ","
           + measured.yCentroid + "; objects.csv " + area + " px at " + x + "," + y);
    if (um > 0) {
      double[][] inMicrons = {{measured.pixelCount * um * um, 0.051}, {measured.xCentroid * um, 0.0006},
                              {measured.yCentroid * um, 0.0006}};
      String[] keys = {"area_um2", "centroid_x_um", "centroid_y_um"};
      for (int k = 0; k < keys.length; k++) {
        String property = roi.getProperty(keys[k]), column = row.get(keys[k]);
        double expected = inMicrons[k][0], tolerance = inMicrons[k][1] + 1e-6 * expected;
        if (property == null || !near(Double.parseDouble(property), expected, tolerance)
            || column.isEmpty() || !near(Double.parseDouble(column), expected, tolerance))
          fail(cell + ": " + keys[k] + " ImageJ " + expected + ", ROI property " + property + ", objects.csv " + column);
      }
    }
    for (int c = 0; c < channels.size(); c++) {
      ImageProcessor channel = channels.get(c);
      channel.setRoi(roi);
      double mean = ImageStatistics.getStatistics(channel, Measurements.MEAN, null).mean;
      String column = row.get("mean_ch" + (c + 1));
      if (column == null || !near(Double.parseDouble(column), mean, 0.006 + 5e-4 * mean))
        fail(cell + ": mean of channel " + (c + 1) + " ImageJ " + mean + ", objects.csv " + column);
    }
  }

  // regions.csv of `count --regions` against what ImageJ said of the same ROIs (make-regions' expected.csv): the
  // same regions, the same cells in each, the area of the outline ImageJ draws.
  static void checksRegions(Path expectedCsv, Path regionsCsv) throws IOException {
    Map<String, Map<String, String>> counted = new HashMap<>();
    for (Map<String, String> row : csvRows(regionsCsv)) counted.put(row.get("region"), row);
    for (Map<String, String> expected : csvRows(expectedCsv)) {
      String name = expected.get("region");
      Map<String, String> row = counted.remove(name);
      if (row == null) { fail("regions.csv has no region \"" + name + "\""); continue; }
      double area = Double.parseDouble(expected.get("outline_area_px2"));
      double fluocountArea = Double.parseDouble(row.get("area_px2"));
      if (!row.get("count").equals(expected.get("cells")) || !near(fluocountArea, area, 0.05 + 1e-4 * area)
          || !row.get("class").equals("Test " + name))
        fail(name + ": FluoCount " + row.get("count") + " cells in " + fluocountArea + " px2 of class "
             + row.get("class") + "; ImageJ " + expected.get("cells") + " in " + area);
      System.out.printf(Locale.ROOT, "%-22s ImageJ %3s cells, outline %11.1f px2 (measured %s px); FluoCount %3s, %11.1f%n",
                        name, expected.get("cells"), area, expected.get("imagej_area_px2"), row.get("count"),
                        fluocountArea);
    }
    for (String extra : counted.keySet()) fail("regions.csv has a region ImageJ did not draw: " + extra);
  }

  // The area enclosed by the outline ImageJ draws (nonzero winding over its sub-paths, as java.awt.geom.Area
  // orients a hole against its outer ring).
  static double outlineArea(Roi roi) {
    // An oval is the ellipse in its box (getFloatPolygon gives a Bezier approximation, drawn 0.0004 px larger).
    if (roi instanceof OvalRoi) return Math.PI / 4 * roi.getFloatWidth() * roi.getFloatHeight();
    java.awt.Shape shape = roi instanceof ShapeRoi ? ((ShapeRoi) roi).getShape() : null;
    if (shape == null) {
      FloatPolygon p = roi.getFloatPolygon();
      double twice = 0;
      for (int i = 0; i < p.npoints; i++) {
        int j = (i + 1) % p.npoints;
        twice += (double) p.xpoints[i] * p.ypoints[j] - (double) p.xpoints[j] * p.ypoints[i];
      }
      return Math.abs(twice) / 2;
    }
    double total = 0, twice = 0, startX = 0, startY = 0, lastX = 0, lastY = 0;
    double[] c = new double[6];
    for (PathIterator it = shape.getPathIterator(null, 0.001); !it.isDone(); it.next()) {
      int kind = it.currentSegment(c);
      if (kind == PathIterator.SEG_MOVETO) {
        total += twice / 2;
        twice = 0;
        startX = lastX = c[0];
        startY = lastY = c[1];
      } else if (kind == PathIterator.SEG_LINETO) {
        twice += lastX * c[1] - c[0] * lastY;
        lastX = c[0];
        lastY = c[1];
      } else if (kind == PathIterator.SEG_CLOSE) {
        twice += lastX * startY - startX * lastY;
        lastX = startX;
        lastY = startY;
      }
    }
    return Math.abs(total + twice / 2);
  }

  // Whether the outline ImageJ draws holds the point. Not Roi.containsPoint: ImageJ 1.53t (and 1.54's) answers false
  // for every point of a sub-pixel ROI (a spline fit, a freehand or traced outline with float coordinates).
  static boolean outlineContains(Roi roi, double x, double y) {
    if (roi instanceof OvalRoi)
      return new java.awt.geom.Ellipse2D.Double(roi.getXBase(), roi.getYBase(), roi.getFloatWidth(),
                                                roi.getFloatHeight()).contains(x, y);
    if (roi instanceof ShapeRoi)
      return ((ShapeRoi) roi).getShape().contains(x - roi.getXBase(), y - roi.getYBase());
    return roi.getFloatPolygon().contains(x, y);
  }

  static Roi named(Roi roi, String name) {
    roi.setName(name);
    return roi;
  }

  static void makeRegions(Path image, Path objectsCsv, Path dir) throws IOException {
    ImagePlus imp = IJ.openImage(image.toString());
    int w = imp.getWidth(), h = imp.getHeight();
    PolygonRoi spline = new PolygonRoi(new float[] {300, 480, 640, 600, 420, 280, 250},
                                       new float[] {790, 760, 900, 1120, 1170, 1090, 950}, 7, Roi.POLYGON);
    spline.fitSpline();
    int n = 90;
    float[] fx = new float[n], fy = new float[n];
    for (int i = 0; i < n; i++) {  // a hand-drawn loop: sub-pixel points on a wobbly circle
      double angle = 2 * Math.PI * i / n, radius = 200 + 30 * Math.sin(5 * angle);
      fx[i] = (float) (450 + radius * Math.cos(angle));
      fy[i] = (float) (850 + radius * Math.sin(angle));
    }
    ShapeRoi donut = new ShapeRoi(new OvalRoi(300, 150, 1000, 900)).not(new ShapeRoi(new OvalRoi(600, 400, 400, 350)));
    List<Roi> rois = Arrays.asList(
        named(new Roi(100, 80, 500, 400), "rectangle"), named(new Roi(370, 380, 260, 330, 140), "rounded rectangle"),
        named(new OvalRoi(200, 520, 610, 470), "oval"), named(new EllipseRoi(230, 640, 640, 1110, 0.6), "ellipse"),
        named(new PolygonRoi(new int[] {40, 700, 1100, 520, 90}, new int[] {60, 20, 700, 1150, 800}, 5, Roi.POLYGON),
              "polygon"),
        named(spline, "spline"), named(new PolygonRoi(new FloatPolygon(fx, fy), Roi.FREEROI), "freehand"),
        named(donut.or(new ShapeRoi(new Roi(1350, 900, 200, 250))), "composite with a hole"));
    for (Roi roi : rois) roi.setProperty("class", "Test " + roi.getName());

    Files.createDirectories(dir);
    String stem = image.getFileName().toString().replaceAll("\\.[^.]*$", "");
    writeRoiSet(rois, dir.resolve(stem + ".zip"));
    Map<Integer, Map<String, String>> objects = objectsOf(objectsCsv, image.getFileName().toString());
    StringBuilder expected = new StringBuilder("region,cells,outline_area_px2,imagej_area_px2\n");
    ByteProcessor canvas = new ByteProcessor(w, h);
    for (Roi roi : rois) {
      int inside = 0;
      for (Map<String, String> row : objects.values())
        if (outlineContains(roi, Double.parseDouble(row.get("centroid_x")), Double.parseDouble(row.get("centroid_y"))))
          inside++;
      canvas.setRoi(roi);
      ImageStatistics measured = ImageStatistics.getStatistics(canvas, Measurements.AREA, null);
      expected.append(String.format(Locale.ROOT, "%s,%d,%.3f,%d%n", roi.getName(), inside, outlineArea(roi),
                                    measured.pixelCount));
    }
    Files.write(dir.resolve("expected.csv"), expected.toString().getBytes(StandardCharsets.UTF_8));
    System.out.print(expected);
  }

  static ByteProcessor filled(Roi roi, int width, int height) {
    ByteProcessor mask = new ByteProcessor(width, height);
    mask.setColor(255);
    mask.fill(roi);
    return mask;
  }

  // The ROI set FluoCount wrote back (regions_through_fluocount: through its GeoJSON and ROI-set writers) against
  // the one ImageJ drew: every region by name, with its class, the area its outline encloses and, filled by ImageJ,
  // the same pixels but for a few along the outline.
  static void checksRoundTrip(Path drawnZip, Path returnedZip, int width, int height) throws IOException {
    Map<String, Roi> returned = new HashMap<>();
    for (Roi roi : readRoiSet(returnedZip)) returned.put(roi.getName(), roi);
    for (Roi drawn : readRoiSet(drawnZip)) {
      Roi back = returned.remove(drawn.getName());
      if (back == null) { fail("FluoCount's ROI set has no region \"" + drawn.getName() + "\""); continue; }
      double area = outlineArea(drawn), backArea = outlineArea(back);
      byte[] a = (byte[]) filled(drawn, width, height).getPixels(), b = (byte[]) filled(back, width, height).getPixels();
      int pixels = 0, differing = 0;
      for (int i = 0; i < a.length; i++) {
        if (a[i] != 0) pixels++;
        if (a[i] != b[i]) differing++;
      }
      if (!near(backArea, area, 0.05 + 1e-4 * area) || differing > 0.001 * pixels
          || !Objects.equals(back.getProperty("class"), drawn.getProperty("class")))
        fail(drawn.getName() + ": FluoCount wrote back " + backArea + " px2 of class " + back.getProperty("class")
             + ", " + differing + " pixels filled differently; ImageJ drew " + area + " px2 of class "
             + drawn.getProperty("class"));
      System.out.printf(Locale.ROOT, "%-22s drawn %11.1f px2 (%s), written back %11.1f px2 (%s), %d of %d pixels differ%n",
                        drawn.getName(), area, drawn.getTypeAsString(), backArea, back.getTypeAsString(), differing,
                        pixels);
    }
    for (String extra : returned.keySet()) fail("FluoCount's ROI set has a region ImageJ did not draw: " + extra);
  }

  static void makeHandCount(Path objectsCsv, Path image, Path file) throws IOException {
    Map<Integer, Map<String, String>> objects = objectsOf(objectsCsv, image.getFileName().toString());
    PointRoi marks = null;
    for (Map<String, String> row : objects.values()) {
      double x = Double.parseDouble(row.get("centroid_x"));
      double y = Double.parseDouble(row.get("centroid_y"));
      if (marks == null) marks = new PointRoi(x, y);
      else marks.addPoint(x, y);
    }
    RoiEncoder.save(marks, file.toString());
    System.out.println(file + ": " + marks.size() + " marks");
  }

  // A gray slide saved with a pixel of width x height in `unit`, as ImageJ saves one set in Image > Properties.
  static void makeCalibrated(Path png, double width, double height, String unit, Path tif) {
    ImagePlus gray = new ImagePlus(png.getFileName().toString(), IJ.openImage(png.toString()).getProcessor().convertToByte(false));
    Calibration calibration = gray.getCalibration();
    calibration.pixelWidth = width;
    calibration.pixelHeight = height;
    calibration.setUnit(unit);
    IJ.saveAsTiff(gray, tif.toString());
    System.out.println(tif + ": " + width + " x " + height + " " + unit + " per pixel");
  }

  // ImageJ's calibration of a slide in microns per pixel, or 0 where it has none FluoCount can use: no unit or
  // "pixel", a unit it does not know, or pixels that are not square.
  static double micronsPerPixel(Calibration calibration) {
    if (!calibration.scaled() || calibration.pixelWidth != calibration.pixelHeight) return 0;
    switch (calibration.getUnit()) {
      case "nm": return calibration.pixelWidth / 1000;
      case "micron": case "um": case "\u00B5m": return calibration.pixelWidth;
      case "mm": return calibration.pixelWidth * 1000;
      case "cm": return calibration.pixelWidth * 10000;
      case "inch": return calibration.pixelWidth * 25400;
      default: return 0;
    }
  }

  // A two-channel hyperstack of `slices` z-slices, as a confocal stack opened in Fiji: each slice holds another of
  // the RGB slide's colours, moved a few pixels, so that the brightest slice differs from cell to cell.
  static void makeZStack(Path png, int slices, Path tif) {
    ColorProcessor colour = (ColorProcessor) IJ.openImage(png.toString()).getProcessor().convertToRGB();
    ImageStack stack = new ImageStack(colour.getWidth(), colour.getHeight());
    for (int z = 0; z < slices; z++)
      for (int c = 1; c <= 2; c++) {
        ImageProcessor channel = colour.getChannel(1 + (z + c - 1) % 3, null);
        channel.translate(7 * z, -5 * z);
        stack.addSlice("c" + c + " z" + (z + 1), channel);
      }
    ImagePlus hyperstack = new ImagePlus("z-stack", stack);
    hyperstack.setDimensions(2, slices, 1);
    hyperstack.setOpenAsHyperStack(true);
    IJ.saveAsTiff(hyperstack, tif.toString());
    System.out.println(tif + ": 2 channels x " + slices + " z-slices");
  }

  static void makeCalibratedStack(Path png, double micrometres, Path tif) {
    ImagePlus rgb = IJ.openImage(png.toString());
    ColorProcessor colour = (ColorProcessor) rgb.getProcessor().convertToRGB();
    int w = colour.getWidth(), h = colour.getHeight();
    ImageStack stack = new ImageStack(w, h);
    String[] names = {"Cy3", "FITC", "DAPI"};
    for (int c = 0; c < 3; c++) {
      ShortProcessor channel = new ShortProcessor(w, h);
      byte[] bytes = (byte[]) colour.getChannel(c + 1, null).getPixels();
      for (int i = 0; i < bytes.length; i++) channel.set(i, (bytes[i] & 0xff) * 257);
      stack.addSlice(names[c], channel);
    }
    ImagePlus stackImage = new ImagePlus("stack", stack);
    stackImage.setDimensions(3, 1, 1);
    CompositeImage composite = new CompositeImage(stackImage, IJ.COMPOSITE);
    Calibration calibration = composite.getCalibration();
    calibration.pixelWidth = calibration.pixelHeight = micrometres;
    calibration.setUnit("micron");
    IJ.saveAsTiff(composite, tif.toString());
    System.out.println(tif + ": 3 channels of 16 bits, " + micrometres + " micron per pixel");
  }

  static void makeFijiMask(Path png, Path tif) {
    ImagePlus mask = IJ.openImage(png.toString());
    ImageProcessor ip = mask.getProcessor().convertToByte(false);
    ip.threshold(0);  // cells (non-zero) 255, background 0
    ip.invert();      // Convert to Mask without "black background": cells 0 under an inverting LUT, shown black
    ip.invertLut();
    ImagePlus fiji = new ImagePlus(mask.getTitle(), ip);
    IJ.saveAsTiff(fiji, tif.toString());
    System.out.println(tif + ": an inverting-LUT mask, " + (fiji.isInvertedLut() ? "inverted LUT" : "normal LUT"));
  }

  // Fiji's usual threshold + watershed count, as a biologist runs it by hand and with this slide's cell diameter
  // (the one FluoCount is given): 8-bit, Gaussian Blur (sigma = diameter / 25, 2 px for 50 px cells), Auto
  // Threshold `method` ("dark": bright cells on a dark background), Convert to Mask, Fill Holes, Watershed,
  // Analyze Particles of at least FluoCount's smallest object (200 px at 50 px cells, scaled with the diameter's
  // square); each image's particles as a 16-bit Count Masks label image, <out>/<stem>.tif.
  static void fijiCount(String method, double diameter, Path out, List<String> images) throws IOException {
    Files.createDirectories(out);
    ij.Prefs.blackBackground = true;
    for (String path : images) {
      ImagePlus imp = IJ.openImage(path);
      if (imp == null) { fail("ImageJ cannot open " + path); continue; }
      // The menu commands' own code (IJ.run needs ImageJ's menus, which a headless run has not).
      new ij.process.ImageConverter(imp).convertToGray8();  // Image > Type > 8-bit
      ImageProcessor ip = imp.getProcessor();
      new ij.plugin.filter.GaussianBlur().blurGaussian(ip, diameter / 25, diameter / 25, 0.01);
      ip.setAutoThreshold(method + " dark");  // Image > Adjust > Threshold
      ImageProcessor mask = ip.createMask();  // Convert to Mask: 255 where the threshold selects
      ImagePlus binary = new ImagePlus(imp.getTitle(), mask);
      ij.plugin.filter.Binary fill = new ij.plugin.filter.Binary();
      fill.setup("fill", binary);  // Process > Binary > Fill Holes
      fill.run(mask);
      new ij.plugin.filter.EDM().toWatershed(mask);  // Process > Binary > Watershed
      imp = binary;
      double minArea = 200 * (diameter / 50) * (diameter / 50);
      ij.measure.ResultsTable results = new ij.measure.ResultsTable();
      ij.plugin.filter.ParticleAnalyzer analyzer = new ij.plugin.filter.ParticleAnalyzer(
          ij.plugin.filter.ParticleAnalyzer.SHOW_ROI_MASKS, 0, results, minArea, Double.POSITIVE_INFINITY);
      analyzer.setHideOutputImage(true);
      analyzer.analyze(imp);
      String stem = Paths.get(path).getFileName().toString().replaceAll("\\.[^.]*$", "");
      IJ.saveAsTiff(analyzer.getOutputImage(), out.resolve(stem + ".tif").toString());
      System.out.println(stem + ": " + results.size() + " particles");
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    switch (args[0]) {
      case "reads-output": readsOutput(Paths.get(args[1]), args.length > 2 ? Double.parseDouble(args[2]) : 0); break;
      case "checks-regions": checksRegions(Paths.get(args[1]), Paths.get(args[2])); break;
      case "make-regions": makeRegions(Paths.get(args[1]), Paths.get(args[2]), Paths.get(args[3])); break;
      case "make-hand-count":
        makeHandCount(Paths.get(args[1]), Paths.get(args[2]), Paths.get(args[3]));
        break;
      case "make-calibrated-stack":
        makeCalibratedStack(Paths.get(args[1]), Double.parseDouble(args[2]), Paths.get(args[3]));
        break;
      case "checks-round-trip":
        checksRoundTrip(Paths.get(args[1]), Paths.get(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        break;
      case "make-z-stack": makeZStack(Paths.get(args[1]), Integer.parseInt(args[2]), Paths.get(args[3])); break;
      case "fiji-count":
        fijiCount(args[1], Double.parseDouble(args[2]), Paths.get(args[3]),
                  Arrays.asList(args).subList(4, args.length));
        break;
      case "make-calibrated":
        makeCalibrated(Paths.get(args[1]), Double.parseDouble(args[2]), Double.parseDouble(args[3]), args[4],
                       Paths.get(args[5]));
        break;
      case "make-fiji-mask": makeFijiMask(Paths.get(args[1]), Paths.get(args[2])); break;
      default: System.out.println("unknown mode " + args[0]); System.exit(2);
    }
    System.out.println("ImageJ " + IJ.getVersion() + ": " + (failures == 0 ? "all as FluoCount meant" : failures + " mismatch(es)"));
    System.exit(failures == 0 ? 0 : 1);
  }
}
