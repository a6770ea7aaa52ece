# The Debian package: `cpack -G DEB` in the build folder (or `cmake --build build --target package`) writes
# fluocount_<version>_amd64.deb with both programs, the bundled model and sample slides, the desktop entry and icon.
# Dependencies are Debian 12's runtime packages of what the build links (including OpenMP OpenBLAS, which makes
# LibTorch's CPU convolutions fast, and tcmalloc).
install(FILES ${PROJECT_SOURCE_DIR}/models/default.fcmodel ${PROJECT_SOURCE_DIR}/models/README.md
        DESTINATION share/fluocount/models)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/samples/ DESTINATION share/fluocount/samples)
install(FILES ${PROJECT_SOURCE_DIR}/resources/fluocount.desktop DESTINATION share/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/fluocount.svg DESTINATION share/icons/hicolor/scalable/apps)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/packaging/slurm/count-array.sh DESTINATION share/fluocount/slurm)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/fluocount)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fluocount)
set(CPACK_PACKAGE_VENDOR "FluoCount")
set(CPACK_PACKAGE_CONTACT "FluoCount developers <fluocount@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Counts stained cells in fluorescence micrographs with a deep network")
set(CPACK_PACKAGE_DESCRIPTION "FluoCount counts stained cells in fluorescence micrographs with a bundled c-ResUnet
(Morelli et al., Sci Rep 2021): a desktop application to count folders of slides, review and correct masks and
retrain the model, and fluocount-cli for batch counting on workstations and Slurm clusters.")
set(CPACK_PACKAGE_INSTALL_DIRECTORY fluocount)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # fluocount_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# The shared libraries the programs link come from dpkg-shlibdeps; these are needed at run time without being
# linked: Qt's platform plugins, and the optimised BLAS that Debian's LibTorch loads through libblas.so.3.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins, libopenblas0-openmp | libopenblas0")
include(CPack)
