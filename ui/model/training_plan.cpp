#include "ui/model/training_plan.h"

#include "core/locations.h"
#include "core/atomic_file.h"
#include "core/model_versions.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <vector>

namespace fluocount::ui {

namespace {

QJsonArray toArray(const QStringList& list) { return QJsonArray::fromStringList(list); }

QStringList toList(const QJsonValue& value) {
  QStringList list;
  for (const QJsonValue& item : value.toArray()) list.append(item.toString());
  return list;
}

// Where each slide has its own cell diameter (measured on each slide, or µm at its pixel size): the median of the
// diameters the corrected slides were counted at, else of every counted slide; 0 when none is counted. A slide
// whose estimate found too few cells was counted at the default or the other slides' median, no measure of its own
// cells: left out.
double countedSlidesDiameter(const Project& project) {
  for (const bool annotatedOnly : {true, false}) {
    std::vector<double> diameters;
    for (int i = 0; i < project.slideCount(); ++i) {
      const Slide& slide = project.slide(i);
      if (slide.analysis && (slide.hasMask() || !annotatedOnly) &&
          slide.analysis->diameterSource != DiameterSource::NotEstimated &&
          slide.analysis->diameterSource != DiameterSource::MedianOfOthers)
        diameters.push_back(slide.analysis->cellDiameterPx);
    }
    if (diameters.empty()) continue;
    std::nth_element(diameters.begin(), diameters.begin() + diameters.size() / 2, diameters.end());
    return diameters[diameters.size() / 2];
  }
  return 0;
}

QString stateName(TrainingJobState state) {
  switch (state) {
    case TrainingJobState::Running: return "running";
    case TrainingJobState::Cancelled: return "cancelled";
    case TrainingJobState::Finished: return "finished";
    case TrainingJobState::Failed: return "failed";
  }
  return {};
}

TrainingJobState stateFromName(const QString& name) {
  if (name == "cancelled") return TrainingJobState::Cancelled;
  if (name == "finished") return TrainingJobState::Finished;
  if (name == "failed") return TrainingJobState::Failed;
  return TrainingJobState::Running;
}

QJsonObject planToJson(const TrainingPlan& p) {
  return {{"training_slides", toArray(p.trainingSlides)},
          {"validation_slides", toArray(p.validationSlides)},
          {"start_model", p.startModel},
          {"start_model_name", p.startModelName},
          {"architecture", QString::fromStdString(architectureName(p.architecture))},
          {"weight_maps", p.weightMaps},
          {"false_detection_crops", p.learnFromFalseDetections},
          {"epochs", p.epochs},
          {"steps_per_epoch", p.stepsPerEpoch},
          {"crop_size", p.cropSize},
          {"batch_size", p.batchSize},
          {"learning_rate", p.learningRate},
          {"cell_diameter_px", p.cellDiameterPx},
          {"each_slide_own_diameter", p.eachSlideOwnDiameter},
          {"use_gpu", p.useGpu},
          {"step_precision",
           QString::fromStdString(precisionName(p.bfloat16 ? NetworkPrecision::BFloat16 : NetworkPrecision::Float32))},
          {"seed", QString::number(p.seed)},
          {"output_model", p.outputModel}};
}

TrainingPlan planFromJson(const QJsonObject& json) {
  TrainingPlan p;
  p.trainingSlides = toList(json["training_slides"]);
  p.validationSlides = toList(json["validation_slides"]);
  p.startModel = json["start_model"].toString();
  p.startModelName = json["start_model_name"].toString();
  p.architecture = architectureFromName(json["architecture"].toString().toStdString()).value_or(Architecture::CResUnet);
  p.weightMaps = json["weight_maps"].toBool(true);
  // Jobs saved before 2026-12-04 had an "oversampling" switch with no crops to oversample: they resume without.
  p.learnFromFalseDetections = json["false_detection_crops"].toBool(false);
  p.epochs = json["epochs"].toInt(p.epochs);
  p.stepsPerEpoch = json["steps_per_epoch"].toInt(p.stepsPerEpoch);
  p.cropSize = json["crop_size"].toInt(p.cropSize);
  p.batchSize = json["batch_size"].toInt(p.batchSize);
  p.learningRate = json["learning_rate"].toDouble(p.learningRate);
  p.cellDiameterPx = json["cell_diameter_px"].toDouble(p.cellDiameterPx);
  // A job saved before the option trained every slide at cellDiameterPx, and resumes so.
  p.eachSlideOwnDiameter = json["each_slide_own_diameter"].toBool(false);
  p.useGpu = json["use_gpu"].toBool(true);
  // Anything but "bfloat16" (a job saved before the option) trains in float32.
  p.bfloat16 = json["step_precision"].toString() == QString::fromStdString(precisionName(NetworkPrecision::BFloat16));
  p.seed = json["seed"].toString("1").toULongLong();
  p.outputModel = json["output_model"].toString();
  return p;
}

QJsonArray historyToJson(const std::vector<EpochFigures>& history) {
  QJsonArray list;
  for (const EpochFigures& e : history)
    list.append(QJsonObject{{"epoch", e.epoch},
                            {"train_loss", e.trainLoss},
                            {"validation_loss", e.validationLoss},
                            {"validation_f1", e.validationF1}});
  return list;
}

}  // namespace

void applyDeviceDefaults(TrainingPlan& plan, const ComputeDevice& device, bool fromScratch) {
  // A CPU run is kept to minutes (small crops, few steps); a GPU affords the paper's crop size and more epochs.
  plan.useGpu = device.gpu;
  plan.cropSize = device.gpu ? 512 : 256;
  plan.batchSize = device.gpu ? 8 : 4;
  plan.epochs = fromScratch ? (device.gpu ? 60 : 20) : (device.gpu ? 20 : 8);
  plan.stepsPerEpoch = device.gpu ? 100 : 40;
  // Fine-tuning starts near a good solution and must not wreck it; from scratch docs/method.md's rate would diverge on
  // small folders, so a third of it.
  plan.learningRate = fromScratch ? 0.002 : 0.0005;
}

TrainingPlan suggestedPlan(Project& project, const ComputeDevice& device) {
  TrainingPlan plan;
  QStringList annotated;
  for (int i = 0; i < project.slideCount(); ++i)
    if (project.slide(i).hasMask()) annotated.append(project.slide(i).name);
  // Every third slide validates (the second of each three), and at least one when there are two.
  for (int i = 0; i < annotated.size(); ++i)
    (i % 3 == 1 ? plan.validationSlides : plan.trainingSlides).append(annotated[i]);
  if (plan.validationSlides.isEmpty() && plan.trainingSlides.size() >= 2)
    plan.validationSlides.append(plan.trainingSlides.takeLast());
  try {
    const auto counter = project.counter();
    plan.cellDiameterPx = counter->cellDiameterPx();
    if (counter->estimatesDiameter() || counter->settings().cellDiameterUm) {
      const double counted = countedSlidesDiameter(project);
      if (counted > 0) plan.cellDiameterPx = counted;
    }
    // Who chose the faster arithmetic for counting (Settings) trains in it too, where it is there.
    plan.bfloat16 =
        project.settings().precision == NetworkPrecision::BFloat16 && bfloat16Available(DevicePreference::Automatic);
    if (counter->usesNetwork()) {
      plan.startModel = QString::fromStdString(counter->settings().modelFile);
      const auto bundled = defaultModelPath();
      plan.startModelName = bundled && QFileInfo(QString::fromStdString(*bundled)) == QFileInfo(plan.startModel)
                                ? QObject::tr("bundled")
                                : QFileInfo(plan.startModel).completeBaseName();
    }
  } catch (const std::exception&) {
    // No usable model: the dialog offers training from scratch only.
  }
  applyDeviceDefaults(plan, device, plan.startModel.isEmpty());
  return plan;
}

TrainingSettings trainingSettingsFor(const TrainingPlan& plan, const Project& project, bool resume) {
  auto examplesFor = [&](const QStringList& names) {
    std::vector<TrainingExample> examples;
    for (const QString& name : names) {
      int index = -1;
      for (int i = 0; i < project.slideCount() && index < 0; ++i)
        if (project.slide(i).name == name) index = i;
      if (index < 0) throw std::runtime_error("slide " + name.toStdString() + " is no longer in the folder");
      const Slide& slide = project.slide(index);
      if (!slide.hasMask()) throw std::runtime_error("slide " + name.toStdString() + " has no mask any more");
      // Hand-corrected masks get docs/method.md's augmentation factor for hand-segmented images.
      examples.push_back({slide.imagePath.toStdString(), slide.maskPath.toStdString(), plan.cellDiameterPx, 10});
    }
    return examples;
  };
  TrainingSettings s;
  s.trainingExamples = examplesFor(plan.trainingSlides);
  s.validationExamples = examplesFor(plan.validationSlides);
  s.initialModel = plan.startModel.toStdString();
  s.architecture = plan.architecture;
  s.useWeightMaps = plan.weightMaps;
  s.mineFalseDetections = plan.learnFromFalseDetections && !plan.startModel.isEmpty();
  s.artifactOversampling = kFalseDetectionOversampling;
  s.maxEpochs = plan.epochs;
  s.maxStepsPerEpoch = plan.stepsPerEpoch;
  s.cropSize = plan.cropSize;
  s.cropStep = plan.cropSize * 4 / 5;
  s.batchSize = plan.batchSize;
  s.learningRate = plan.learningRate;
  s.earlyStoppingPatience = std::max(4, plan.epochs / 3);
  // A user corrects a few slides and one or two validate: a knee picked on those alone swings with the epoch
  // written, so the threshold comes from every corrected slide (models/README.md, few-shot benchmark).
  s.thresholdImages = TrainingSettings::ThresholdImages::TrainingAndValidation;
  s.minimumF1GainOverStart = kRetrainMinimumF1GainOverStart;
  s.requireFewerErrorsBeyondChance = true;
  s.seed = plan.seed;
  s.canonicalDiameterPx = 25;  // as the bundled model; a fine-tune keeps its model's own
  s.defaultCellDiameterPx = plan.cellDiameterPx;
  s.explicitExamplesAtOwnDiameter = plan.eachSlideOwnDiameter;
  s.inference.device = plan.useGpu ? DevicePreference::Automatic : DevicePreference::Cpu;
  s.stepPrecision = plan.bfloat16 ? NetworkPrecision::BFloat16 : NetworkPrecision::Float32;
  s.outputModel = plan.outputModel.toStdString();
  s.resume = resume;
  s.trainedBy = "FluoCount retraining";
  return s;
}

bool TrainingJob::resumable() const {
  return (state == TrainingJobState::Running || state == TrainingJobState::Cancelled) && !plan.outputModel.isEmpty() &&
         !QFileInfo::exists(plan.outputModel);
}

void TrainingJob::addEpoch(const EpochFigures& figures) {
  while (!history.empty() && history.back().epoch >= figures.epoch) history.pop_back();
  history.push_back(figures);
}

QString modelsFolder(const Project& project) { return project.stateFolder() + "/models"; }
QString jobPath(const Project& project) { return project.stateFolder() + "/training/job.json"; }

bool saveJob(const Project& project, const TrainingJob& job, QString* error) {
  const QJsonObject json{{"format", "fluocount-training-job"}, {"version", 1},
                         {"state", stateName(job.state)},      {"message", job.message},
                         {"plan", planToJson(job.plan)},       {"history", historyToJson(job.history)}};
  try {
    QDir().mkpath(QFileInfo(jobPath(project)).path());
    writeFileAtomically(jobPath(project).toStdString(), QJsonDocument(json).toJson().toStdString());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

std::optional<TrainingJob> loadJob(const Project& project) {
  QFile file(jobPath(project));
  if (!file.open(QIODevice::ReadOnly)) return std::nullopt;
  const QJsonObject json = QJsonDocument::fromJson(file.read(1 << 20)).object();
  if (json["format"].toString() != "fluocount-training-job") return std::nullopt;
  TrainingJob job;
  job.state = stateFromName(json["state"].toString());
  job.message = json["message"].toString();
  job.plan = planFromJson(json["plan"].toObject());
  for (const QJsonValue& value : json["history"].toArray()) {
    const QJsonObject e = value.toObject();
    job.history.push_back({e["epoch"].toInt(), e["train_loss"].toDouble(), e["validation_loss"].toDouble(-1),
                           e["validation_f1"].toDouble(-1)});
  }
  return job;
}

}  // namespace fluocount::ui
