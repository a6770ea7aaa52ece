// The classical method (blur + automatic threshold + the same post-processing) on real annotated data: it is the
// baseline every benchmark compares against, so its quality is pinned here.
#include "core/counter.h"
#include "core/metrics.h"
#include "tests/test_support.h"

#include <QDir>
#include <QFileInfo>

using namespace fluocount;
using namespace fluocount::test;

class ClassicalTest : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void bbbc039NucleiAreFoundWell() {
    // The model card (models/README.md, classical rows) measures F1 0.900 for the classical method on the 30
    // BBBC039 test fields at 28 px. These are the dataset's first 10 fields by name (a fixed public set), at 25 px.
    CountSettings settings;
    settings.cellDiameterPx = 25;
    const CellCounter counter = CellCounter::classical(settings);
    const QDir images(sharedDataDir() + "/bbbc039/images");
    std::vector<ImageEvaluation> evaluations;
    for (const QString& name : images.entryList(QDir::Files, QDir::Name).mid(0, 10)) {
      const ImageCount result = counter.count(images.filePath(name).toStdString());
      const QString labelPath = sharedDataDir() + "/bbbc039/labels/" + QFileInfo(name).completeBaseName() + ".png";
      const Detection truth = measureLabels(loadLabels(labelPath.toStdString()));
      evaluations.push_back(evaluateImage(name.toStdString(), result.detection, truth, {25}));
    }
    const EvaluationSummary summary = summarise(evaluations);
    qInfo("classical on 10 BBBC039 fields: F1 %.4f precision %.4f recall %.4f MAE %.2f", summary.f1, summary.precision,
          summary.recall, summary.meanAbsoluteError);
    QVERIFY(summary.f1 > 0.85);
  }

  void otsuThresholdSeparatesForegroundOnAFncSlide() {
    const CellCounter counter = CellCounter::classical({});
    const ImageCount result = counter.count(dataFile(kYellowSlide));
    QVERIFY(result.threshold > 0 && result.threshold < 1);
    QVERIFY(result.detection.count() > 0);
    QCOMPARE(result.heatmap.size(), cv::Size(1600, 1200));
    // Same image, same settings: the same objects (the GUI and CLI rely on this).
    QCOMPARE(counter.count(dataFile(kYellowSlide)).detection.count(), result.detection.count());
  }

  void flatImageHasNoCells() {
    CellCounter counter = CellCounter::classical({});
    RawImage flat;
    flat.path = "flat";
    flat.pixels = cv::Mat(200, 200, CV_8UC3, cv::Scalar(40, 40, 40));
    QCOMPARE(counter.countRaw(flat).detection.count(), 0);
  }
};

QTEST_GUILESS_MAIN(ClassicalTest)
#include "test_classical.moc"
