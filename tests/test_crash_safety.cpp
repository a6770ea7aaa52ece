// Crash and power-loss safety (issue 8): a process writing a mask, a count table or a training checkpoint is
// killed with SIGKILL at random moments. After each kill the file on disk is a complete earlier version (never a
// torn one), and the next write removes what the killed writer left behind. Training killed mid-run resumes from
// its last checkpoint and finishes.
#include "core/checkpoint.h"
#include "core/image_io.h"
#include "crash_variants.h"
#include "test_support.h"

#include <QDir>
#include <QElapsedTimer>
#include <QThread>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <random>

using namespace fluocount;
using namespace fluocount::test;

namespace {

constexpr int kKillsPerFormat = 8;

int leftovers(const QString& folder) {
  return int(QDir(folder).entryList({".*.tmp-*"}, QDir::Files | QDir::Hidden).size());
}

// Starts crash_writer and, after its first complete write, kills it: on odd rounds the moment a new temporary
// appears (mid-write, for certain), on even rounds after a random while. Returns the temporaries it left.
int writeAndKill(const QString& mode, const QString& path, int round, std::mt19937& random) {
  QProcess writer;
  writer.start(FLUOCOUNT_CRASH_WRITER, {mode, path});
  if (!writer.waitForStarted() || !writer.waitForReadyRead(120000)) return -1;
  const QString folder = QFileInfo(path).path();
  if (round % 2) {
    QElapsedTimer waited;
    waited.start();
    while (leftovers(folder) == 0 && waited.elapsed() < 60000) QThread::usleep(200);
  } else {
    QTest::qWait(int(random() % 400));
  }
  writer.kill();  // SIGKILL: no destructor, no flush, no cleanup
  writer.waitForFinished(30000);
  return leftovers(folder);
}

void writeOnce(const QString& mode, const QString& path) {
  QProcess writer;
  writer.start(FLUOCOUNT_CRASH_WRITER, {mode, path, "--once"});
  QVERIFY(writer.waitForFinished(120000));
  QCOMPARE(writer.exitCode(), 0);
}

}  // namespace

class CrashSafetyTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::mt19937 random_{11};

private slots:
  void initTestCase() { FLUOCOUNT_REQUIRE_SHARED_DATA(); }

  void killedMaskWriterLeavesACompleteMask() {
    const cv::Mat real = loadMask(maskFile(kYellowSlide));
    const QString path = dir_.filePath("masks/slide.png");
    QDir().mkpath(dir_.filePath("masks"));
    int stale = 0;
    for (int round = 0; round < kKillsPerFormat; ++round) {
      stale += writeAndKill("mask", path, round, random_);
      const cv::Mat mask = loadMask(path.toStdString(), real.size());
      bool matches = false;
      for (int k = 0; k < kCrashVariants && !matches; ++k) matches = cv::countNonZero(mask != crashMask(real, k)) == 0;
      QVERIFY2(matches, "the mask on disk is not any complete version");
    }
    QVERIFY2(stale > 0, "no kill landed mid-write");
    writeOnce("mask", path);  // the next start cleans up after the killed ones
    QCOMPARE(leftovers(dir_.filePath("masks")), 0);
    std::printf("mask: %d kills (%d mid-write), every file complete; temporaries removed by the next write\n",
                kKillsPerFormat, stale);
  }

  void killedTableWriterLeavesACompleteTable() {
    const QString path = dir_.filePath("results/counts.csv");
    QDir().mkpath(dir_.filePath("results"));
    int stale = 0;
    for (int round = 0; round < kKillsPerFormat; ++round) {
      stale += writeAndKill("csv", path, round, random_);
      const std::string table = readBytes(path.toStdString());
      bool matches = false;
      for (int k = 0; k < kCrashVariants && !matches; ++k) matches = table == crashTable(k);
      QVERIFY2(matches, "the table on disk is not any complete version");
    }
    QVERIFY2(stale > 0, "no kill landed mid-write");
    writeOnce("csv", path);
    QCOMPARE(leftovers(dir_.filePath("results")), 0);
  }

  void killedCheckpointWriterLeavesALoadableCheckpoint() {
    const QString path = dir_.filePath("run/model.fcmodel.checkpoint");
    QDir().mkpath(dir_.filePath("run"));
    auto network = makeNetwork(Architecture::CResUnet);
    auto best = makeNetwork(Architecture::CResUnet);
    torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
    int stale = 0;
    for (int round = 0; round < kKillsPerFormat / 2; ++round) {
      stale += writeAndKill("checkpoint", path, round, random_);
      const nlohmann::json state = loadCheckpoint(path.toStdString(), {network.get(), &optimizer, best.get(), {}});
      QVERIFY(state.contains("round"));
    }
    QVERIFY2(stale > 0, "no kill landed mid-write");
    writeOnce("checkpoint", path);
    QCOMPARE(leftovers(dir_.filePath("run")), 0);
  }

  // fluocount-cli train killed with SIGKILL after its first epoch: --resume continues from that epoch's checkpoint.
  void killedTrainingResumesFromTheLastEpoch() {
    const QString out = dir_.filePath("train/model.fcmodel");
    QDir().mkpath(dir_.filePath("train"));
    // Two small real DSB2018 fields (one validates): the check is of the killed process and its checkpoint.
    const QString slides =
        writableSlideFolder(dir_.path(), "nuclei", {kSmallNucleiFields[0], kSmallNucleiFields[3]});
    const QStringList arguments = {"train",
                                   slides + ":21",
                                   "--out",
                                   out,
                                   "--architecture",
                                   "small-unet",
                                   "--epochs",
                                   "3",
                                   "--steps-per-epoch",
                                   "3",
                                   "--crop-size",
                                   "64",
                                   "--batch-size",
                                   "2",
                                   "--canonical-diameter",
                                   "25"};
    QProcess first;
    first.start(FLUOCOUNT_CLI, arguments);
    QVERIFY(first.waitForStarted());
    QString printed;
    while (!printed.contains(QRegularExpression("epoch +1/3"))) {
      QVERIFY2(first.waitForReadyRead(300000), "training printed no epoch line");
      printed += QString::fromUtf8(first.readAllStandardOutput());
    }
    first.kill();
    QVERIFY(first.waitForFinished(30000));
    QVERIFY(!QFileInfo::exists(out));
    QVERIFY(QFileInfo::exists(out + ".checkpoint"));

    QProcess second;
    second.start(FLUOCOUNT_CLI, arguments + QStringList{"--resume"});
    QVERIFY(second.waitForFinished(600000));
    const QString errors = QString::fromUtf8(second.readAllStandardError());
    QVERIFY2(second.exitCode() == 0, qPrintable(errors));
    QVERIFY2(errors.contains(QRegularExpression("resumed from .* at epoch [23]")), qPrintable(errors));
    QVERIFY(QFileInfo::exists(out));
  }
};

QTEST_GUILESS_MAIN(CrashSafetyTest)
#include "test_crash_safety.moc"
