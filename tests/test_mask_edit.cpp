// The mask-editing tools on real FNC masks: each tool's effect, exact undo and redo, a stroke merged from its
// segments, the memory an edit keeps (only the changed pixels), and what the saved file says of the mask's origin.
#include "core/atomic_file.h"
#include "core/image_io.h"
#include "core/mask_edit.h"
#include "core/postprocess.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace fluocount;

namespace {

cv::Mat realMask() { return loadMask(test::maskFile(test::kRedSlide)); }

int objects(const cv::Mat& mask) {
  cv::Mat labels;
  return labelComponents(mask, labels);
}

bool same(const cv::Mat& a, const cv::Mat& b) { return cv::countNonZero(a != b) == 0; }

// The centre of the largest object of a mask, and its bounding box.
std::pair<cv::Point, cv::Rect> largestObject(const cv::Mat& mask) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8);
  int best = 1;
  for (int i = 2; i < n; ++i)
    if (stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = i;
  const cv::Rect box(stats.at<int>(best, 0), stats.at<int>(best, 1), stats.at<int>(best, 2), stats.at<int>(best, 3));
  // A pixel of the object near its box centre.
  cv::Point inside(box.x + box.width / 2, box.y + box.height / 2);
  if (labels.at<int>(inside) != best)
    for (int y = box.y; y < box.br().y; ++y)
      for (int x = box.x; x < box.br().x; ++x)
        if (labels.at<int>(y, x) == best) return {cv::Point(x, y), box};
  return {inside, box};
}

void checkUndoRedo(cv::Mat& mask, const cv::Mat& before, const MaskChange& change) {
  const cv::Mat after = mask.clone();
  change.undo(mask);
  QVERIFY(same(mask, before));
  change.redo(mask);
  QVERIFY(same(mask, after));
}

}  // namespace

class TestMaskEdit : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void brushPaintsADiscAndUndoesExactly() {
    cv::Mat mask = realMask();
    const cv::Mat before = mask.clone();
    const cv::Point centre(40, 40);
    mask(cv::Rect(20, 20, 41, 41)).setTo(0);
    const cv::Mat cleared = mask.clone();
    const MaskChange change = paintStroke(mask, centre, centre, 10, kCell);
    QVERIFY(std::abs(cv::countNonZero(mask(cv::Rect(20, 20, 41, 41))) - int(CV_PI * 100)) < 40);
    QCOMPARE(int(change.changedPixels()), cv::countNonZero(mask != cleared));
    QVERIFY(change.memoryBytes() < 3 * change.changedPixels() + 64 * 21 + 256);
    checkUndoRedo(mask, cleared, change);
    Q_UNUSED(before);
  }

  void aStrokeMergedFromSegmentsUndoesInOneStep() {
    cv::Mat mask = realMask();
    const cv::Mat before = mask.clone();
    MaskChange stroke = paintStroke(mask, {100, 100}, {100, 100}, 6, kBackground);
    cv::Point last(100, 100);
    for (int i = 1; i <= 30; ++i) {  // a wiggly eraser stroke that crosses itself
      const cv::Point next(100 + 9 * i, 100 + int(40 * std::sin(i * 0.7)));
      stroke.merge(paintStroke(mask, last, next, 6, i % 2 ? kBackground : kCell));
      last = next;
    }
    checkUndoRedo(mask, before, stroke);
  }

  void floodFillFillsAHoleInAnObject() {
    cv::Mat mask = realMask();
    // The object pixel farthest from the background: a small disc there is an enclosed hole.
    cv::Mat distance;
    cv::distanceTransform(mask, distance, cv::DIST_L2, 3);
    cv::Point inside;
    double depth = 0;
    cv::minMaxLoc(distance, nullptr, &depth, nullptr, &inside);
    QVERIFY(depth > 6);
    const cv::Mat original = mask.clone();
    cv::circle(mask, inside, 3, cv::Scalar(0), cv::FILLED);
    const cv::Mat holed = mask.clone();
    const MaskChange fill = floodFill(mask, inside, kCell);
    QVERIFY(!fill.empty());
    QVERIFY(int(fill.changedPixels()) <= int(CV_PI * 16) + 8);
    QVERIFY(same(mask, original));
    checkUndoRedo(mask, holed, fill);
  }

  void polygonAddsAndSubtracts() {
    cv::Mat mask = cv::Mat::zeros(200, 200, CV_8U);
    const std::vector<cv::Point> square = {{50, 50}, {149, 50}, {149, 149}, {50, 149}};
    const MaskChange add = fillPolygon(mask, square, kCell);
    QCOMPARE(cv::countNonZero(mask), 100 * 100);
    QCOMPARE(int(add.changedPixels()), 100 * 100);
    const cv::Mat full = mask.clone();
    const MaskChange subtract = fillPolygon(mask, {{50, 50}, {99, 50}, {99, 149}, {50, 149}}, kBackground);
    QCOMPARE(cv::countNonZero(mask), 50 * 100);
    checkUndoRedo(mask, full, subtract);
  }

  void deletesTheObjectUnderTheCursorOnly() {
    cv::Mat mask = realMask();
    const cv::Mat before = mask.clone();
    const int n = objects(mask);
    const auto [inside, box] = largestObject(mask);
    const MaskChange change = deleteObjectAt(mask, inside);
    QCOMPARE(objects(mask), n - 1);
    QVERIFY(box.contains(change.bounds().tl()) && box.contains(change.bounds().br() - cv::Point(1, 1)));
    QVERIFY(deleteObjectAt(mask, inside).empty());  // now background: nothing to delete
    checkUndoRedo(mask, before, change);
  }

  void deletesTheObjectsInsideARectangleButNotThoseCrossingIt() {
    cv::Mat mask = realMask();
    const cv::Mat before = mask.clone();
    const cv::Rect left(0, 0, mask.cols / 2, mask.rows);
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8);
    int inside = 0;
    for (int i = 1; i < n; ++i) {
      const cv::Rect box(stats.at<int>(i, 0), stats.at<int>(i, 1), stats.at<int>(i, 2), stats.at<int>(i, 3));
      inside += (box & left) == box;
    }
    QVERIFY(inside > 3);
    const MaskChange change = deleteObjectsInside(mask, left);
    QCOMPARE(objects(mask), n - 1 - inside);
    QVERIFY(same(mask(cv::Rect(left.width + 1, 0, mask.cols - left.width - 1, mask.rows)),
                 before(cv::Rect(left.width + 1, 0, mask.cols - left.width - 1, mask.rows))));
    checkUndoRedo(mask, before, change);
  }

  void aCutSplitsAnObjectInTwo() {
    cv::Mat mask = realMask();
    const cv::Mat before = mask.clone();
    const int n = objects(mask);
    const auto [inside, box] = largestObject(mask);
    const int x = box.x + box.width / 2;
    const MaskChange cut = cutAlong(mask, {x, box.y - 3}, {x, box.br().y + 3}, 2);
    QVERIFY(objects(mask) >= n + 1);
    QVERIFY(int(cut.changedPixels()) <= 2 * (box.height + 6));
    checkUndoRedo(mask, before, cut);
    Q_UNUSED(inside);
  }

  void acceptingDetectionsCopiesExactlyThoseObjects() {
    const cv::Mat truth = realMask();
    cv::Mat labels;
    labelComponents(truth, labels);
    cv::Mat mask = cv::Mat::zeros(truth.size(), CV_8U);
    const MaskChange change = acceptObjects(mask, labels, {1, 3});
    QVERIFY(same(mask > 0, (labels == 1) | (labels == 3)));
    checkUndoRedo(mask, cv::Mat::zeros(truth.size(), CV_8U), change);
    cv::Mat all = cv::Mat::zeros(truth.size(), CV_8U);  // every object: the mask's own cells again
    const MaskChange allChange = acceptAllObjects(all, labels);
    QVERIFY(same(all > 0, truth > 0));
    checkUndoRedo(all, cv::Mat::zeros(truth.size(), CV_8U), allChange);
  }

  void savedMasksReloadIdenticallyAndAreNotReplacedUnasked() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("slide.png").toStdString();
    cv::Mat mask = realMask();
    paintStroke(mask, {30, 30}, {300, 200}, 5, kCell);
    saveMask(path, mask);
    QVERIFY(same(loadMask(path), mask));
    const std::string saved = test::readBytes(path);
    QVERIFY_THROWS_EXCEPTION(FileWriteError, saveMask(path, cv::Mat::zeros(mask.size(), CV_8U), false));
    QCOMPARE(test::readBytes(path), saved);
  }

  // A mask outlined from a count by hand says so in its own file (a PNG text chunk), which every reader ignores:
  // the pixels OpenCV and loadMask read are the same, the chunk is there once however often it is added, it goes
  // when the mask is written as drawn, and only FluoCount's chunk, intact, counts.
  void aMaskFileSaysWhetherItWasOutlinedFromACountByHand() {
    QTemporaryDir dir;
    const std::string outlined = dir.filePath("outlined.png").toStdString(),
                      drawn = dir.filePath("drawn.png").toStdString();
    const cv::Mat mask = realMask();
    saveMask(outlined, mask, true, MaskOrigin::OutlinedFromMarks);
    saveMask(drawn, mask);
    QCOMPARE(maskOriginOfFile(outlined), MaskOrigin::OutlinedFromMarks);
    QCOMPARE(maskOriginOfFile(drawn), MaskOrigin::Drawn);
    QVERIFY(same(loadMask(outlined), mask));
    QVERIFY(same(cv::imread(outlined, cv::IMREAD_UNCHANGED), loadMask(drawn)));

    const std::string withChunk = test::readBytes(outlined), without = test::readBytes(drawn);
    QCOMPARE(maskOriginOfPng(withChunk), MaskOrigin::OutlinedFromMarks);
    QVERIFY(withChunk.size() > without.size());
    QCOMPARE(withMaskOrigin(withChunk, MaskOrigin::OutlinedFromMarks), withChunk);  // once, not twice
    QCOMPARE(withMaskOrigin(withChunk, MaskOrigin::Drawn), without);
    QCOMPARE(withMaskOrigin(without, MaskOrigin::OutlinedFromMarks), withChunk);

    // The chunk with one letter of its text changed: its CRC no longer holds, so it says nothing.
    std::string damaged = withChunk;
    const std::size_t text = damaged.find("outlined from");
    QVERIFY(text != std::string::npos);
    damaged[text] = 'O';
    QCOMPARE(maskOriginOfPng(damaged), MaskOrigin::Drawn);
    // Truncated in the middle of the chunk, or not a PNG at all (a TIFF mask, as Fiji saves it).
    QCOMPARE(maskOriginOfPng(withChunk.substr(0, text)), MaskOrigin::Drawn);
    for (std::size_t cut : {std::size_t(0), std::size_t(8), std::size_t(20), std::size_t(33), text})
      QCOMPARE(withMaskOrigin(without.substr(0, cut), MaskOrigin::Drawn), without.substr(0, cut));
    const std::string tiff = dir.filePath("fiji.tif").toStdString();
    QVERIFY(cv::imwrite(tiff, mask));
    QCOMPARE(maskOriginOfFile(tiff), MaskOrigin::Drawn);
    QCOMPARE(withMaskOrigin(test::readBytes(tiff), MaskOrigin::OutlinedFromMarks), test::readBytes(tiff));
    QCOMPARE(maskOriginOfFile(dir.filePath("none.png").toStdString()), MaskOrigin::Drawn);
  }
};

QTEST_GUILESS_MAIN(TestMaskEdit)
#include "test_mask_edit.moc"
