# The hardening configuration, built beside the main one in <build>/hardening: clang with AddressSanitizer and
# UndefinedBehaviorSanitizer (the engine's suites) and libFuzzer (the loaders' fuzz targets). ctest runs each core
# suite there as sanitized_<suite>, and each fuzz target for FLUOCOUNT_FUZZ_SECONDS as fuzz_<target>, seeded from
# real files. A long run: tests/fuzz/run-fuzzer.sh <build>/hardening <target> <seconds>.
if(NOT FLUOCOUNT_HARDENING)
  return()
endif()
find_program(FLUOCOUNT_CLANGXX NAMES clang++-14 clang++)
if(NOT FLUOCOUNT_CLANGXX)
  message(FATAL_ERROR "the hardening build needs clang (Debian: clang libclang-rt-14-dev; packaging/install-deps.sh "
                      "installs them), or configure with -DFLUOCOUNT_HARDENING=OFF")
endif()
set(FLUOCOUNT_FUZZ_SECONDS 60 CACHE STRING "Seconds of fuzzing per target in ctest")

# Only what ctest runs there is built: the core suites (and the CLI test_bad_inputs calls), the fuzzers and their
# seed maker; with make, through $(MAKE) so that the outer -j reaches the inner build.
set(FLUOCOUNT_HARDENING_TARGETS ${FLUOCOUNT_CORE_SUITES} fuzz_seeds)
foreach(target ${FLUOCOUNT_FUZZ_TARGETS})
  list(APPEND FLUOCOUNT_HARDENING_TARGETS fuzz_${target})
endforeach()
if(CMAKE_GENERATOR MATCHES "Makefiles")
  set(FLUOCOUNT_HARDENING_BUILD BUILD_COMMAND $(MAKE) -C <BINARY_DIR> ${FLUOCOUNT_HARDENING_TARGETS})
else()
  set(FLUOCOUNT_HARDENING_BUILD BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target ${FLUOCOUNT_HARDENING_TARGETS})
endif()

include(ExternalProject)
ExternalProject_Add(hardening
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${CMAKE_BINARY_DIR}/hardening
  # -O1, as AddressSanitizer's documentation advises: about a fifth less compile time than -O3 on the LibTorch
  # translation units, and the sanitized suites' time is LibTorch's and the sanitizers' anyway.
  CMAKE_ARGS -DCMAKE_CXX_COMPILER=${FLUOCOUNT_CLANGXX} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"
             -DFLUOCOUNT_SANITIZE=ON
             -DFLUOCOUNT_FUZZ=ON -DFLUOCOUNT_GUI=OFF -DFLUOCOUNT_HARDENING=OFF
             -DFLUOCOUNT_SHARED_DIR=${FLUOCOUNT_SHARED_DIR}
  ${FLUOCOUNT_HARDENING_BUILD}
  BUILD_ALWAYS ON
  INSTALL_COMMAND ""
  TEST_COMMAND "")

# Leaks are not checked: LibTorch and Qt keep process-lifetime allocations that LeakSanitizer would report.
set(FLUOCOUNT_SANITIZER_ENV
  "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
# Under ASan every large tensor is a fresh mapping (no tcmalloc), so LibTorch's arithmetic runs about ten times
# slower, and it is not what ASan is here to check: FluoCount's own memory handling is. So the sanitized
# test_training runs the functions that read and check training data (masks and labels of the wrong size, the
# separation of touching nuclei; checkpoints are fuzzed) and leaves the training runs (minutes already in the normal
# build) to the normal build; the sanitized test_inference runs the slide through resampling and several staged
# tiles on a crop (resampling, repeatability, the device) and leaves the whole-slide tiling comparison, three full
# forward passes, to the normal build.
set(FLUOCOUNT_SANITIZED_ARGS_test_training maskOfTheWrongSizeNamesBothFiles touchingNucleiAreSeparatedInTheTrainingMask
    labelsOfTheWrongSizeAreSetAsideWithANote)
set(FLUOCOUNT_SANITIZED_ARGS_test_inference resamplingReturnsAHeatmapAtTheImagesOwnSize sameInputSameHeatmap
    deviceIsReported)
# The pipeline's threads and hand-overs under ASan, with the classical method on small slides (the network's passes
# would add minutes of LibTorch arithmetic and nothing of the pipeline's own).
set(FLUOCOUNT_SANITIZED_ARGS_test_count_pipeline anUnreadableFileIsReportedInItsPlace
    cancellingStopsAfterTheImagesPastTheNetwork aFailingCallerEndsTheRun aBudgetSmallerThanOneImageStillCountsEverything)
foreach(suite ${FLUOCOUNT_CORE_SUITES})
  add_test(NAME sanitized_${suite} COMMAND ${CMAKE_BINARY_DIR}/hardening/tests/${suite} ${FLUOCOUNT_SANITIZED_ARGS_${suite}})
  set_tests_properties(sanitized_${suite} PROPERTIES TIMEOUT 1800 LABELS sanitized
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;QTEST_FUNCTION_TIMEOUT=1800000;${FLUOCOUNT_SANITIZER_ENV}")
endforeach()
# ctest's runs are repeatable: a fixed seed and a fixed number of inputs per target (about 15 s each on 2 cores).
# With a fixed seed every CI run replays the same inputs, so these are regression runs over the seeds and their
# first mutations, not a search; the search is the longer, open-ended runs of run-fuzzer.sh by hand. (Halved on
# 2026-12-02 for issue 19's CI time: the eight took about 230 s of the run's test time.)
set(FLUOCOUNT_FUZZ_RUNS_image_loader 20000)
set(FLUOCOUNT_FUZZ_RUNS_mask_loader 15000)
set(FLUOCOUNT_FUZZ_RUNS_model_file 500)
set(FLUOCOUNT_FUZZ_RUNS_checkpoint 300)
set(FLUOCOUNT_FUZZ_RUNS_project_state 250000)
set(FLUOCOUNT_FUZZ_RUNS_heatmap_file 10000)
set(FLUOCOUNT_FUZZ_RUNS_regions 50000)
set(FLUOCOUNT_FUZZ_RUNS_imagej_roi 50000)
set(FLUOCOUNT_FUZZ_RUNS_count_journal 50000)
set(FLUOCOUNT_FUZZ_RUNS_hand_counts 50000)
# Start the longest first (see COST in tests/CMakeLists.txt).
set_tests_properties(sanitized_test_postprocess sanitized_test_image_metadata PROPERTIES COST 50)
set_tests_properties(sanitized_test_regions sanitized_test_model_file PROPERTIES COST 30)
foreach(target ${FLUOCOUNT_FUZZ_TARGETS})
  add_test(NAME fuzz_${target}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run-fuzzer.sh ${CMAKE_BINARY_DIR}/hardening ${target}
                   ${FLUOCOUNT_FUZZ_SECONDS} ${FLUOCOUNT_FUZZ_RUNS_${target}})
  set_tests_properties(fuzz_${target} PROPERTIES TIMEOUT 900 LABELS fuzz COST 20 ENVIRONMENT "${FLUOCOUNT_SANITIZER_ENV}")
endforeach()
