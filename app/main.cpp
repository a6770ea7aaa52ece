// fluocount-cli: FluoCount's headless front end for batch work and clusters.
#include "app/cli_common.h"
#include "core/locations.h"
#include "core/numeric_locale.h"

#include <QCoreApplication>

#include <cstdio>
#include <map>

namespace {

const char* kUsage =
    "usage: fluocount-cli <command> [options]\n"
    "\n"
    "Counts stained cells in fluorescence micrographs with a c-ResUnet network (Morelli et al., Sci Rep 2021).\n"
    "\n"
    "commands:\n"
    "  count      count cells in images or folders; write the count table, objects, label masks, overlays\n"
    "  evaluate   compare counts with annotated masks: F1, precision, recall, accuracy, MAE, MedAE, MPE\n"
    "  sweep      count and F1 for thresholds 0.500..0.975, Kneedle knee and best-F1 threshold\n"
    "  train      train or fine-tune a network on annotated folders; cancel and resume\n"
    "  merge      merge the count tables of the shards of a batch (count --shard I/N) into one\n"
    "  diameter   measure the typical cell diameter of annotated datasets (for --diameter)\n"
    "  masks      make masks to train on from counts by hand (Fiji multi-point or Cell Counter, QuPath points)\n"
    "  bench      time the network, post-processing, a threshold sweep and a training step\n"
    "\n"
    "'fluocount-cli <command> --help' describes each command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  QCoreApplication application(argc, argv);
  fluocount::useClassicNumberFormat();  // after Qt set the locale from the environment
  QCoreApplication::setApplicationName("fluocount-cli");
  QCoreApplication::setApplicationVersion(FLUOCOUNT_VERSION);
  QStringList arguments = QCoreApplication::arguments();
  if (arguments.size() < 2 || arguments[1] == "--help" || arguments[1] == "-h" || arguments[1] == "help") {
    std::fputs(kUsage, arguments.size() < 2 ? stderr : stdout);
    return arguments.size() < 2 ? 2 : 0;
  }
  if (arguments[1] == "--version") {
    std::fputs(fluocount::versionReport("fluocount-cli", FLUOCOUNT_VERSION).c_str(), stdout);
    return 0;
  }
  using Command = int (*)(const QStringList&);
  const std::map<QString, Command> commands = {
      {"count", fluocount::cli::runCountCommand}, {"evaluate", fluocount::cli::runEvaluateCommand},
      {"sweep", fluocount::cli::runSweepCommand}, {"bench", fluocount::cli::runBenchCommand},
      {"train", fluocount::cli::runTrainCommand}, {"diameter", fluocount::cli::runDiameterCommand},
      {"merge", fluocount::cli::runMergeCommand}, {"masks", fluocount::cli::runMasksCommand},
  };
  const QString name = arguments[1];
  const auto command = commands.find(name);
  if (command == commands.end()) {
    std::fprintf(stderr, "fluocount-cli: unknown command '%s'\n\n%s", qPrintable(name), kUsage);
    return 2;
  }
  arguments.removeAt(1);
  arguments[0] = "fluocount-cli " + name;
  try {
    return command->second(arguments);
  } catch (const fluocount::cli::CliError& e) {
    std::fprintf(stderr, "fluocount-cli %s: %s\n", qPrintable(name), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fluocount-cli %s: error: %s\n", qPrintable(name), e.what());
    return 1;
  }
}
