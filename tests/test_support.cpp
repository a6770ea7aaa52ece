#include "tests/test_support.h"

#include <QStandardPaths>

#include <QDir>
#include <QFileInfo>
#include <QProcess>

#include <tiffio.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <iterator>
#include <stdexcept>

namespace fluocount::test {

QString sharedDataDir() {
  const QByteArray fromEnvironment = qgetenv("FLUOCOUNT_SHARED_DATA");
  const QString dir =
      fromEnvironment.isEmpty() ? QStringLiteral(FLUOCOUNT_SHARED_DIR "/data") : QString(fromEnvironment);
  return QFileInfo(dir).isDir() ? QDir(dir).absolutePath() : QString();
}

std::string dataFile(const QString& relative) { return (sharedDataDir() + "/" + relative).toStdString(); }

std::string maskFile(const QString& slide) {
  const QFileInfo image(slide);
  return dataFile(image.dir().path() + "/../masks/" + image.completeBaseName() + ".png");
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

QString writableSlideFolder(const QString& scratch, const QString& name, const QStringList& slides) {
  QStandardPaths::setTestModeEnabled(true);
  const QString folder = scratch + "/" + name;
  for (const QString& slide : slides) {
    const QFileInfo image(sharedDataDir() + "/" + slide);
    if (!image.isFile()) throw std::runtime_error("missing real slide " + image.filePath().toStdString());
    const QDir dataset = image.dir().filePath("..");
    for (const QString& sub : {QStringLiteral("images"), QStringLiteral("masks"), QStringLiteral("labels")}) {
      const QString from =
          dataset.filePath(sub + "/" + (sub == "images" ? image.fileName() : image.completeBaseName() + ".png"));
      if (!QFileInfo::exists(from)) continue;
      QDir().mkpath(folder + "/" + sub);
      QFile::copy(from, folder + "/" + sub + "/" + QFileInfo(from).fileName());
    }
  }
  return folder;
}

QString makeLocale(const QString& folder, const QString& locale) {
  QDir().mkpath(folder);
  QProcess localedef;
  localedef.start("localedef", {"-i", locale, "-f", "UTF-8", folder + "/" + locale + ".UTF-8"});
  if (!localedef.waitForFinished(120000) || localedef.exitCode() != 0)
    return "localedef could not make " + locale + " (Debian package 'locales'): " + localedef.readAllStandardError();
  return {};
}

}  // namespace fluocount::test

namespace fluocount::test {

void writeTiff(const std::string& path, const std::vector<cv::Mat>& pages, const TiffPageOptions& options) {
  std::unique_ptr<TIFF, void (*)(TIFF*)> tiff(TIFFOpen(path.c_str(), "w"), TIFFClose);
  if (!tiff) throw std::runtime_error("cannot write " + path);
  TIFF* t = tiff.get();
  for (std::size_t page = 0; page < pages.size(); ++page) {
    const cv::Mat& image = pages[page];
    const int samples = image.channels(), bytes = int(image.elemSize1());
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, image.cols);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, image.rows);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8 * bytes);
    if (image.depth() == CV_32F) TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, samples);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                 samples == 3          ? PHOTOMETRIC_RGB
                 : options.whiteIsZero ? PHOTOMETRIC_MINISWHITE
                                       : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, options.separatePlanes ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    if (samples > 4) {
      const std::vector<std::uint16_t> extra(samples - 1, EXTRASAMPLE_UNSPECIFIED);
      TIFFSetField(t, TIFFTAG_EXTRASAMPLES, samples - 1, extra.data());
    }
    if (page == 0 && !options.description.empty())
      TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, options.description.c_str());
    if (options.xResolution > 0) {
      TIFFSetField(t, TIFFTAG_XRESOLUTION, float(options.xResolution));
      TIFFSetField(t, TIFFTAG_YRESOLUTION, float(options.yResolution > 0 ? options.yResolution : options.xResolution));
      TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, options.resolutionUnit);
    }
    std::vector<cv::Mat> planes;
    if (options.separatePlanes)
      cv::split(image, planes);
    else
      planes = {image};
    if (options.tileSize > 0) {
      TIFFSetField(t, TIFFTAG_TILEWIDTH, options.tileSize);
      TIFFSetField(t, TIFFTAG_TILELENGTH, options.tileSize);
      const int perPlane = options.separatePlanes ? 1 : samples;
      std::vector<unsigned char> tile(std::size_t(options.tileSize) * options.tileSize * perPlane * bytes);
      for (std::size_t p = 0; p < planes.size(); ++p)
        for (int y = 0; y < image.rows; y += options.tileSize)
          for (int x = 0; x < image.cols; x += options.tileSize) {
            std::fill(tile.begin(), tile.end(), 0);
            const cv::Rect area =
                cv::Rect(x, y, options.tileSize, options.tileSize) & cv::Rect(0, 0, image.cols, image.rows);
            for (int r = 0; r < area.height; ++r)
              std::memcpy(tile.data() + std::size_t(r) * options.tileSize * perPlane * bytes,
                          planes[p].ptr(area.y + r) + std::size_t(area.x) * perPlane * bytes,
                          std::size_t(area.width) * perPlane * bytes);
            TIFFWriteTile(t, tile.data(), x, y, 0, static_cast<tsample_t>(p));
          }
    } else {
      TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
      for (std::size_t p = 0; p < planes.size(); ++p)
        for (int y = 0; y < image.rows; ++y)
          if (TIFFWriteScanline(t, const_cast<uchar*>(planes[p].ptr(y)), y, static_cast<tsample_t>(p)) < 0)
            throw std::runtime_error("cannot write " + path);
    }
    if (!TIFFWriteDirectory(t)) throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace fluocount::test
