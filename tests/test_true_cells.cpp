// One rule decides the true cells of an annotated image (core/true_cells.h), for evaluate, sweep, diameter,
// training and the app: instance labels where they agree with the mask, else the mask's 8-connected components.
// Pinned on real DSB2018 and FNC annotations.
#include "test_support.h"
#include "core/image_io.h"
#include "core/postprocess.h"
#include "core/true_cells.h"

#include <QTest>

using namespace fluocount;
using fluocount::test::dataFile;

namespace {

// 27 labelled nuclei, of which the binary mask merges some into 22 components.
const QString kTouchingNuclei = "00071198d059ba7f5914a526d124d28e6d010c92466da21d4a04cd5413362552.png";

int cellsOf(const TrueCells& truth) { return measureLabels(truth.labels).count(); }

}  // namespace

class TestTrueCells : public QObject {
  Q_OBJECT
  std::string mask_, labels_;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    mask_ = dataFile("dsb2018-fluo/masks/" + kTouchingNuclei);
    labels_ = dataFile("dsb2018-fluo/labels/" + kTouchingNuclei);
  }

  void labelsBesideTheMasksAreFound() {
    QCOMPARE(labelsFileFor(mask_), labels_);
    QCOMPARE(labelsFileFor(dataFile("fnc-red/masks/MAR32C2R3_PVHr_200x_r.png")), std::string());
  }

  void labelsThatAgreeWithTheMaskKeepTouchingCellsApart() {
    const TrueCells truth = trueCells(mask_, labelsFileFor(mask_));
    QCOMPARE(truth.source, TruthSource::InstanceLabels);
    QVERIFY(truth.note.empty());
    QCOMPARE(cellsOf(truth), 27);
    const TrueCells components = trueCells(mask_, labels_, {}, {}, /*useLabels=*/false);
    QCOMPARE(components.source, TruthSource::MaskComponents);
    QCOMPARE(cellsOf(components), 22);
  }

  // A mask corrected in the app no longer matches its labels: the mask wins, and the note says why.
  void anEditedMaskSetsItsLabelsAside() {
    cv::Mat mask = loadMask(mask_);
    const cv::Mat labels = loadLabels(labels_);
    mask.setTo(0, labels == 1);  // the user erased one nucleus
    const TrueCells truth = trueCellsOf(mask, labels_);
    QCOMPARE(truth.source, TruthSource::MaskComponents);
    QVERIFY2(QString::fromStdString(truth.note).contains("differ from the mask"), truth.note.c_str());
    cv::Mat components;
    QCOMPARE(cellsOf(truth), labelComponents(mask, components));
  }

  void labelsOfAnotherSizeAreSetAside() {
    const std::string mask = dataFile("fnc-red/masks/MAR32C2R3_PVHr_200x_r.png");
    const TrueCells truth = trueCells(mask, labels_);
    QCOMPARE(truth.source, TruthSource::MaskComponents);
    QVERIFY2(QString::fromStdString(truth.note).contains("256x256"), truth.note.c_str());
    cv::Mat components;
    QCOMPARE(cellsOf(truth), labelComponents(loadMask(mask), components));
  }

  void aMaskOfAnotherSizeThanItsImageIsAnError() {
    QVERIFY_THROWS_EXCEPTION(ImageError, trueCells(mask_, labels_, cv::Size(100, 100), "slide.png"));
  }
};

QTEST_GUILESS_MAIN(TestTrueCells)
#include "test_true_cells.moc"
