// The model file: a faithful round trip, and a clear refusal of anything damaged or mismatched.
#include "core/checkpoint.h"
#include "core/image_io.h"
#include "core/model_file.h"
#include "core/model_versions.h"
#include "core/networks.h"
#include "core/sha256.h"
#include "core/tensor_container.h"
#include "core/training_provenance.h"
#include "core/torch_include.h"
#include "tests/test_support.h"

#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <filesystem>

#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

namespace {

std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

// Rebuilds a model file with its JSON header edited (and a valid checksum), to test the checks behind the CRC.
std::string withEditedHeader(const std::string& file, const std::function<void(nlohmann::json&)>& edit) {
  const std::size_t fixed = 16 + 4 + 8;
  std::uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i) headerSize |= std::uint64_t(static_cast<unsigned char>(file[20 + i])) << (8 * i);
  nlohmann::json header = nlohmann::json::parse(file.substr(fixed, headerSize));
  edit(header);
  const std::string newHeader = header.dump();
  std::string out = file.substr(0, 20);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((newHeader.size() >> (8 * i)) & 0xFF));
  out += newHeader;
  out += file.substr(fixed + headerSize, file.size() - 4 - fixed - headerSize);
  const std::uint32_t crc = crc32(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return out;
}

void expectRejected(const std::string& bytes, const char* what) {
  try {
    parseModel(bytes, "damaged.fcmodel");
    QFAIL(qPrintable(QString("accepted a file that should fail with: ") + what));
  } catch (const ModelFileError& e) {
    QVERIFY2(QString(e.what()).contains("damaged.fcmodel"), e.what());
    QVERIFY2(QString(e.what()).contains(what, Qt::CaseInsensitive), e.what());
  }
}

}  // namespace

class ModelFileTest : public QObject {
  Q_OBJECT

  std::string goodFile;

private slots:
  void initTestCase() {
    torch::manual_seed(7);
    auto network = makeNetwork(Architecture::CResUnet);
    ModelInfo info;
    info.threshold = 0.8;
    goodFile = serialiseModel(*network, info);
  }

  void roundTripKeepsWeightsSettingsAndOutputs() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    torch::manual_seed(3);
    auto network = makeNetwork(Architecture::SmallUnet);
    // Make the BatchNorm running statistics non-trivial so the buffers' round trip is tested too.
    network->train();
    {
      torch::NoGradGuard noGrad;
      network->forward(torch::rand({2, 3, 32, 32}));
    }
    network->eval();
    ModelInfo info;
    info.architecture = Architecture::SmallUnet;
    info.canonicalDiameterPx = 31.5;
    info.threshold = 0.725;
    info.normalisation = {0.5, 99.5};
    info.postprocess.minObjectAreaPx = 123;
    info.postprocess.splitTouchingCells = false;
    info.provenance = {{"training_data", {"fnc-yellow"}}, {"f1", 0.81}};

    QTemporaryDir dir;
    const std::string path = dir.filePath("model.fcmodel").toStdString();
    saveModel(path, *network, info);
    const Model loaded = loadModel(path);
    QCOMPARE(loaded.info.architecture, Architecture::SmallUnet);
    QCOMPARE(loaded.info.canonicalDiameterPx, 31.5);
    QCOMPARE(loaded.info.threshold, 0.725);
    QCOMPARE(loaded.info.normalisation.lowPercentile, 0.5);
    QCOMPARE(loaded.info.postprocess.minObjectAreaPx, 123.0);
    QCOMPARE(loaded.info.postprocess.splitTouchingCells, false);
    QCOMPARE(loaded.info.provenance.at("f1").get<double>(), 0.81);

    // Same output on a real slide crop.
    const cv::Mat rgb =
        normaliseToRgb(loadImage(dataFile(kYellowSlide)).pixels, {})(cv::Rect(400, 300, 128, 96)).clone();
    const auto x = torch::from_blob(rgb.data, {1, 96, 128, 3}).permute({0, 3, 1, 2}).contiguous();
    torch::NoGradGuard noGrad;
    const auto before = network->forward(x);
    const auto after = loaded.network->forward(x);
    QCOMPARE((before - after).abs().max().item<float>(), 0.0f);
  }

  // A model trained on slides whose file names are not UTF-8 (Latin-1 from an old share, "Schnitt_\xe4.png") is
  // written: its provenance names them with U+FFFD for the bytes JSON cannot hold (the file failed to be written
  // after the whole training run).
  void provenanceOfSlidesNamedInAnotherEncodingIsWritten() {
    std::vector<PreparedImage> train(1), validation(1);
    train[0].name = "Schnitt_\xe4.png";
    validation[0].name = "Schnitt_2.png";
    const nlohmann::json history = nlohmann::json::array(), startingModel;
    TrainingSettings settings;
    settings.training.push_back({"/data/Versuch_\xe4", 50, 1});
    settings.excludedImages = {"Test_\xe4.png"};
    TrainingOutcome outcome;
    outcome.sweep.points.resize(1);
    ModelInfo info;
    info.provenance = trainingProvenance(settings, outcome, {train, validation, history, startingModel, 1, 10});
    QTemporaryDir dir;
    const std::string path = dir.filePath("model.fcmodel").toStdString();
    info.architecture = Architecture::SmallUnet;
    saveModel(path, *makeNetwork(Architecture::SmallUnet), info);
    const nlohmann::json provenance = loadModel(path).info.provenance;
    QCOMPARE(provenance.at("split").at("train").at(0).get<std::string>(), std::string("Schnitt_\xef\xbf\xbd.png"));
    QCOMPARE(provenance.at("split").at("validation").at(0).get<std::string>(), std::string("Schnitt_2.png"));
    QCOMPARE(provenance.at("training_data").at(0).at("folder").get<std::string>(),
             std::string("/data/Versuch_\xef\xbf\xbd"));
    QCOMPARE(provenance.at("split").at("held_out").at(0).get<std::string>(), std::string("Test_\xef\xbf\xbd.png"));
  }

  // Training keeps the convolution weights channels-last (layOutWeightsFor) on a GPU and on a CPU with AVX-512. A
  // model file written from them holds the standard layout, and a checkpoint read back into them restores every value
  // where it belongs. (Forced here, so that a CPU that trains in NCHW tests it too.)
  void channelsLastWeightsRoundTrip() {
    forceCpuTrainingLayout(torch::MemoryFormat::ChannelsLast);
    const auto unforce = qScopeGuard([] { forceCpuTrainingLayout(std::nullopt); });
    torch::manual_seed(4);
    auto trained = makeNetwork(Architecture::CResUnet);
    layOutWeightsFor(*trained, torch::kCPU);
    const std::string file = serialiseModel(*trained, ModelInfo{});
    const Model loaded = parseModel(file, "trained.fcmodel");

    auto resumed = makeNetwork(Architecture::CResUnet);
    layOutWeightsFor(*resumed, torch::kCPU);
    loadNetworkState(*resumed, TensorContainer(file, "FLUOCOUNT MODEL\n", "model"), "");

    const auto original = trained->named_parameters();
    const auto fromFile = loaded.network->named_parameters();
    const auto intoChannelsLast = resumed->named_parameters();
    int channelsLast = 0;
    for (const auto& p : original) {
      channelsLast += p.value().dim() == 4 && !p.value().is_contiguous();
      QVERIFY2(torch::equal(fromFile[p.key()], p.value()), p.key().c_str());
      QVERIFY2(torch::equal(intoChannelsLast[p.key()], p.value()), p.key().c_str());
    }
    QVERIFY(channelsLast > 0);  // the layout did change, so the test means something
  }

  void truncatedFileIsRejected() {
    expectRejected(goodFile.substr(0, goodFile.size() / 2), "truncated");
    expectRejected(goodFile.substr(0, 10), "not a FluoCount model");
  }

  void flippedByteIsRejected() {
    std::string bytes = goodFile;
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
    expectRejected(bytes, "checksum");
  }

  void foreignFilesAreRejected() {
    expectRejected("PK\x03\x04 a pickled PyTorch checkpoint would start like this", "not a FluoCount model");
    expectRejected("", "not a FluoCount model");
  }

  void mismatchedHeadersAreRejected() {
    expectRejected(withEditedHeader(goodFile, [](auto& h) { h["model"]["architecture"] = "unet"; }), "shape");
    expectRejected(withEditedHeader(goodFile, [](auto& h) { h["model"]["architecture"] = "vgg"; }),
                   "unknown architecture");
    expectRejected(withEditedHeader(goodFile, [](auto& h) { h["tensors"][0]["shape"] = {1, 3, 3, 3}; }), "shape");
    expectRejected(withEditedHeader(goodFile, [](auto& h) { h["tensors"][1]["offset"] = 1u << 30; }), "offset");
    expectRejected(withEditedHeader(goodFile, [](auto& h) { h["model"]["threshold"] = 7; }), "threshold");
    expectRejected(withEditedHeader(goodFile, [](auto& h) { h["model"].erase("postprocess"); }), "postprocess");
    expectRejected(withEditedHeader(goodFile,
                                    [](auto& h) {
                                      auto extra = h["tensors"][0];
                                      extra["name"] = "evil.payload";
                                      h["tensors"].push_back(extra);
                                    }),
                   "not part of");
  }

  // Issue 17: a checksummed checkpoint with a bad field is this loader's error (a std::stoul on the optimizer
  // index once let std::invalid_argument escape), and a failed load leaves the network, the best weights and the
  // optimizer exactly as they were (they used to be overwritten before the rest was checked).
  void checkpointLoadIsAllOrNothing() {
    QTemporaryDir dir;
    torch::manual_seed(1);
    auto saved = makeNetwork(Architecture::CResUnet), savedBest = makeNetwork(Architecture::CResUnet);
    torch::optim::Adam savedOptimizer(saved->parameters(), torch::optim::AdamOptions(1e-3));
    saved->forward(torch::rand({1, 3, 32, 32})).mean().backward();
    savedOptimizer.step();
    const std::string path = dir.filePath("good.checkpoint").toStdString();
    saveCheckpoint(path, {saved.get(), &savedOptimizer, savedBest.get(), {{"epoch", 1}}});
    const std::string good = readBytes(path);

    torch::manual_seed(2);
    auto live = makeNetwork(Architecture::CResUnet), liveBest = makeNetwork(Architecture::CResUnet);
    torch::optim::Adam liveOptimizer(live->parameters(), torch::optim::AdamOptions(5e-4));
    auto snapshot = [](SegmentationNetworkImpl& network) {
      std::vector<torch::Tensor> copies;
      for (const auto& [name, tensor] : networkState(network)) copies.push_back(tensor.clone());
      return copies;
    };
    const auto before = snapshot(*live), bestBefore = snapshot(*liveBest);
    const std::pair<const char*, std::function<void(nlohmann::json&)>> damages[] = {
        {"is not a parameter index",
         [](nlohmann::json& h) {
           h["adam_steps"] = {{"x", 1}};
         }},
        {"is not a parameter index",
         [](nlohmann::json& h) {
           h["adam_steps"] = {{"99999999999999999999", 1}};
         }},
        {"a parameter the network lacks",
         [](nlohmann::json& h) {
           h["adam_steps"] = {{"12345", 1}};
         }},
        {"adam.0.exp_avg",
         [](nlohmann::json& h) {  // the last tensors missing: only found after the networks
           for (auto& entry : h["tensors"])
             if (entry["name"] == "adam.0.exp_avg") entry["name"] = "adam.0.renamed";
         }},
        {"malformed checkpoint header", [](nlohmann::json& h) { h["learning_rate"] = "fast"; }},
    };
    for (const auto& [expected, damage] : damages) {
      const std::string damaged = dir.filePath("damaged.checkpoint").toStdString();
      writeBytes(damaged, withEditedHeader(good, damage));
      try {
        loadCheckpoint(damaged, {live.get(), &liveOptimizer, liveBest.get(), {}});
        QFAIL(qPrintable(QString("accepted a checkpoint that should fail with: ") + expected));
      } catch (const CheckpointError& e) {
        QVERIFY2(QString(e.what()).contains("damaged.checkpoint") && QString(e.what()).contains(expected), e.what());
      }
      const auto after = snapshot(*live), bestAfter = snapshot(*liveBest);
      for (std::size_t i = 0; i < before.size(); ++i) {
        QVERIFY(torch::equal(before[i], after[i]));
        QVERIFY(torch::equal(bestBefore[i], bestAfter[i]));
      }
      QVERIFY(liveOptimizer.state().empty());
      QCOMPARE(liveOptimizer.param_groups().front().options().get_lr(), 5e-4);
    }
    // The undamaged file loads, and then the weights are the saved ones.
    const nlohmann::json state = loadCheckpoint(path, {live.get(), &liveOptimizer, liveBest.get(), {}});
    QCOMPARE(state.at("epoch").get<int>(), 1);
    QVERIFY(torch::equal(networkState(*live)[0].tensor, networkState(*saved)[0].tensor));
    QVERIFY(!liveOptimizer.state().empty());
  }

  // A count table names the model by its SHA-256, which a reader checks with `sha256sum`: the standard's test
  // vectors (FIPS 180-4 examples, one- and two-block padding, a million bytes), and the bundled model's digest as
  // coreutils computes it.
  void modelsAreNamedByTheirSha256() {
    QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    QCOMPARE(sha256Hex(std::string(1000000, 'a')),
             std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    const QString bundled = QStringLiteral(FLUOCOUNT_SOURCE_MODELS_DIR "/default.fcmodel");
    QProcess sha256sum;
    sha256sum.start("sha256sum", {bundled});
    QVERIFY2(sha256sum.waitForFinished(60000) && sha256sum.exitCode() == 0, "sha256sum (coreutils) did not run");
    const std::string expected = QString::fromUtf8(sha256sum.readAllStandardOutput()).section(' ', 0, 0).toStdString();
    QCOMPARE(expected.size(), std::size_t(64));
    QCOMPARE(loadModel(bundled.toStdString()).sha256, expected);
    QCOMPARE(describeModel(bundled.toStdString()).sha256, expected);  // the Model Versions dialog's column
  }

  void unreadablePathIsAClearError() {
    QVERIFY_THROWS_EXCEPTION(ModelFileError, loadModel("/nonexistent/model.fcmodel"));
    QVERIFY_THROWS_EXCEPTION(ModelFileError, readModelInfo("/nonexistent/model.fcmodel"));
  }

  void infoAloneIsReadAndStillChecksummed() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("m.fcmodel").toStdString();
    writeBytes(path, goodFile);
    QCOMPARE(readModelInfo(path).threshold, 0.8);
    std::string bytes = goodFile;
    bytes[bytes.size() - 100] = static_cast<char>(bytes[bytes.size() - 100] ^ 1);  // in the weights
    writeBytes(path, bytes);
    QVERIFY_THROWS_EXCEPTION(ModelFileError, readModelInfo(path));
  }

  // A project's versions: numbered, listed in order with their recorded metrics, a damaged one reported rather
  // than hidden, rolled back past it, and deleted into deleted/ without its name being reused.
  void modelVersionsAreListedRolledBackAndDeletedAside() {
    QTemporaryDir dir;
    const std::string folder = dir.path().toStdString();
    QCOMPARE(nextModelVersionPath(folder), folder + "/v1.fcmodel");
    writeBytes(folder + "/v1.fcmodel", withEditedHeader(goodFile, [](auto& h) {
                 h["model"]["provenance"] = {{"date", "2026-11-26T10:00:00Z"},
                                             {"epochs", 8},
                                             {"split", {{"train", {"a.png", "b.png"}}, {"validation", {"c.png"}}}},
                                             {"validation_metrics", {{"f1", 0.9}, {"mae", 1.5}}}};
               }));
    writeBytes(folder + "/v2.fcmodel", goodFile.substr(0, 100));  // damaged
    writeBytes(folder + "/v3.fcmodel", goodFile);
    writeBytes(folder + "/notes.fcmodel", goodFile);  // not a version

    const auto versions = listModelVersions(folder);
    QCOMPARE(versions.size(), std::size_t(3));
    QCOMPARE(versions[0].name, std::string("v1"));
    QCOMPARE(versions[0].epochs, 8);
    QCOMPARE(versions[0].trainingImages, 2);
    QCOMPARE(versions[0].validationImages, 1);
    QCOMPARE(versions[0].validationF1.value_or(-1), 0.9);
    QCOMPARE(versions[0].validationMae.value_or(-1), 1.5);
    QVERIFY(!versions[1].readable());
    QVERIFY(versions[1].error.find("v2.fcmodel") != std::string::npos);
    QVERIFY(!versions[2].validationF1);  // nothing recorded: shown empty, not invented

    QCOMPARE(previousModelVersion(versions, folder + "/v3.fcmodel")->name, std::string("v1"));  // skips damaged v2
    QVERIFY(!previousModelVersion(versions, folder + "/v1.fcmodel"));  // before v1: the bundled model
    QCOMPARE(nextModelVersionPath(folder), folder + "/v4.fcmodel");

    writeBytes(folder + "/v3.fcmodel.checkpoint", "checkpoint");
    deleteModelVersion(folder + "/v3.fcmodel");
    QVERIFY(!std::filesystem::exists(folder + "/v3.fcmodel"));
    QCOMPARE(readBytes(folder + "/deleted/v3.fcmodel"), goodFile);
    QVERIFY(std::filesystem::exists(folder + "/deleted/v3.fcmodel.checkpoint"));
    QCOMPARE(nextModelVersionPath(folder), folder + "/v4.fcmodel");  // v3's name is not reused
    // A checkpoint of an interrupted run reserves its version.
    writeBytes(folder + "/v4.fcmodel.checkpoint", "checkpoint");
    QCOMPARE(nextModelVersionPath(folder), folder + "/v5.fcmodel");
  }
};

QTEST_GUILESS_MAIN(ModelFileTest)
#include "test_model_file.moc"
