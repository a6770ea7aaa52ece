// The bundled default model (models/default.fcmodel): it loads, its provenance keeps the held-out test split out
// of training, and it counts the bundled sample slides as its model card records (models/sample-counts.csv), so a
// silent change in inference or post-processing shows up here. Needs no ../shared: model and samples are bundled.
#include "core/counter.h"
#include "core/metrics.h"
#include "core/model_file.h"
#include "core/training_data.h"
#include "core/true_cells.h"

#include <QFile>
#include <QTest>

#include <cmath>
#include <filesystem>
#include <set>

using namespace fluocount;

namespace {

const std::string kModels = FLUOCOUNT_SOURCE_MODELS_DIR;
const std::string kSamples = FLUOCOUNT_SOURCE_SAMPLES_DIR;

struct RecordedCount {
  std::string file;
  int count = 0;
  double f1 = 0;
};

// models/sample-counts.csv: file,count,f1 for each bundled sample, counted with the model's defaults.
std::vector<RecordedCount> recordedCounts() {
  QFile csv(QString::fromStdString(kModels + "/sample-counts.csv"));
  if (!csv.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  std::vector<RecordedCount> rows;
  csv.readLine();  // header
  while (!csv.atEnd()) {
    const QList<QByteArray> fields = csv.readLine().trimmed().split(',');
    if (fields.size() != 3) continue;
    rows.push_back({fields[0].toStdString(), fields[1].toInt(), fields[2].toDouble()});
  }
  return rows;
}

std::set<std::string> namesIn(const nlohmann::json& list) {
  std::set<std::string> names;
  for (const auto& name : list) names.insert(name.get<std::string>());
  return names;
}

}  // namespace

class TestDefaultModel : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() {
    if (!std::filesystem::exists(kModels + "/default.fcmodel"))
      QFAIL(qPrintable(QString::fromStdString("the bundled model " + kModels + "/default.fcmodel is missing")));
  }

  void isATrainedCResUnetWithItsProvenance() {
    const Model model = loadModel(kModels + "/default.fcmodel");
    QCOMPARE(architectureName(model.info.architecture), std::string("c-resunet"));
    QVERIFY(model.info.threshold > 0.3 && model.info.threshold < 1.0);
    QCOMPARE(model.info.provenance.value("trained_by", ""), std::string("fluocount-cli train"));
    QVERIFY(model.info.provenance.contains("validation_metrics"));
  }

  void neverSawTheTestSplit() {
    const Model model = loadModel(kModels + "/default.fcmodel");
    const nlohmann::json& split = model.info.provenance.at("split");
    const std::set<std::string> test = readImageNameList(kModels + "/test-split.txt");
    QVERIFY(test.size() > 50);
    const std::set<std::string> train = namesIn(split.at("train")), validation = namesIn(split.at("validation"));
    QVERIFY(train.size() > 100);
    for (const std::string& name : test) {
      QVERIFY2(!train.count(name), name.c_str());
      QVERIFY2(!validation.count(name), name.c_str());
    }
  }

  // Pinned against the human annotations, not only against the program's own records: on the bundled samples
  // (FNC slides; two of them in the held-out test split) the model finds the annotated cells better than the
  // classical method does (the product's first claim), and its pooled F1 holds the model card's level.
  void countsTheSamplesBetterThanTheClassicalMethod() {
    const CellCounter model = CellCounter::withModel(loadModel(kModels + "/default.fcmodel"), {});
    const CellCounter classical = CellCounter::classical({});
    std::vector<ImageEvaluation> byModel, byClassical;
    for (const RecordedCount& r : recordedCounts()) {
      const std::string image = kSamples + "/images/" + r.file, mask = kSamples + "/masks/" + r.file;
      const Detection truth = measureLabels(trueCells(mask, labelsFileFor(mask)).labels);
      const ImageCount m = model.count(image), c = classical.count(image);
      byModel.push_back(evaluateImage(r.file, m.detection, truth, {m.cellDiameterPx}));
      byClassical.push_back(evaluateImage(r.file, c.detection, truth, {c.cellDiameterPx}));
    }
    QCOMPARE(byModel.size(), std::size_t(4));
    const EvaluationSummary ours = summarise(byModel), theirs = summarise(byClassical);
    qInfo("bundled samples: model F1 %.4f (MAE %.2f), classical F1 %.4f (MAE %.2f)", ours.f1, ours.meanAbsoluteError,
          theirs.f1, theirs.meanAbsoluteError);
    QVERIFY(ours.f1 >= 0.70);
    QVERIFY(ours.f1 > theirs.f1 + 0.05);
  }

  // A regression pin: the counts and F1 recorded in models/sample-counts.csv when the model was bundled, so that
  // a silent change in inference or post-processing shows up here.
  void countsTheSamplesAsTheModelCardSays() {
    const std::vector<RecordedCount> recorded = recordedCounts();
    QVERIFY2(!recorded.empty(), "models/sample-counts.csv is missing or empty");
    const CellCounter counter = CellCounter::withModel(loadModel(kModels + "/default.fcmodel"), {});
    for (const RecordedCount& r : recorded) {
      const ImageCount result = counter.count(kSamples + "/images/" + r.file);
      // BLAS and thread counts change the heatmap in the last bits; a blob can then flip at the threshold.
      const int tolerance = std::max(1, int(std::ceil(0.03 * r.count)));
      const int counted = int(result.detection.objects.size());
      QVERIFY2(std::abs(counted - r.count) <= tolerance,
               qPrintable(QString("%1: counted %2, model card says %3").arg(r.file.c_str()).arg(counted).arg(r.count)));
      const std::string mask = kSamples + "/masks/" + r.file;
      const ImageEvaluation e = evaluateImage(r.file, result.detection,
                                              measureLabels(trueCells(mask, labelsFileFor(mask), result.size).labels),
                                              {result.cellDiameterPx});
      QVERIFY2(std::abs(f1Of(e.counts) - r.f1) <= 0.03,
               qPrintable(QString("%1: F1 %2, model card says %3").arg(r.file.c_str()).arg(f1Of(e.counts)).arg(r.f1)));
    }
  }
};

QTEST_GUILESS_MAIN(TestDefaultModel)
#include "test_default_model.moc"
