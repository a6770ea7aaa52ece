#include "core/sharding.h"

#include "core/counter.h"
#include "core/export.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>

namespace fluocount {

std::optional<Shard> parseShard(const std::string& text) {
  static const std::regex pattern(R"(\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  const Shard shard{std::stoi(match[1]), std::stoi(match[2])};
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) return std::nullopt;
  return shard;
}

std::vector<std::string> shardOf(const std::vector<std::string>& items, Shard shard) {
  const std::size_t n = items.size();
  const std::size_t begin = n * std::size_t(shard.index - 1) / std::size_t(shard.count);
  const std::size_t end = n * std::size_t(shard.index) / std::size_t(shard.count);
  return {items.begin() + std::ptrdiff_t(begin), items.begin() + std::ptrdiff_t(end)};
}

std::string shardTableName(Shard shard) {
  char name[64];
  std::snprintf(name, sizeof name, "shard-%04d-of-%04d.csv", shard.index, shard.count);
  return name;
}

namespace {

std::optional<Shard> shardFromName(const std::string& path) {
  static const std::regex pattern(R"(shard-([0-9]+)-of-([0-9]+)\.csv)");
  std::smatch match;
  const std::string name = std::filesystem::path(path).filename().string();
  if (!std::regex_match(name, match, pattern)) return std::nullopt;
  // std::stoi would throw std::out_of_range, which is not this module's error, on a name like shard-99999999999-...
  auto number = [&](const std::string& digits) {
    int value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size())
      throw MergeError(path + ": shard number " + digits + " is out of range");
    return value;
  };
  return Shard{number(match[1]), number(match[2])};
}

// Orders tables named as shards, and checks that they are every shard of one run exactly once.
void orderShards(std::vector<NamedTable>& tables) {
  std::vector<std::pair<Shard, NamedTable*>> shards;
  for (NamedTable& table : tables)
    if (auto shard = shardFromName(table.name)) shards.emplace_back(*shard, &table);
  if (shards.empty()) return;
  if (shards.size() != tables.size())
    throw MergeError("mix of shard tables (shard-I-of-N.csv) and other tables: merge one run's shards at a time");
  const int count = shards.front().first.count;
  std::vector<const NamedTable*> byIndex(std::size_t(count) + 1, nullptr);
  for (const auto& [shard, table] : shards) {
    if (shard.count != count)
      throw MergeError(table->name + " is a shard of " + std::to_string(shard.count) + ", the others of " +
                       std::to_string(count));
    if (shard.index < 1 || shard.index > count) throw MergeError(table->name + ": shard number out of range");
    if (byIndex[std::size_t(shard.index)])
      throw MergeError(table->name + " repeats shard " + std::to_string(shard.index) + " (also " +
                       byIndex[std::size_t(shard.index)]->name + ")");
    byIndex[std::size_t(shard.index)] = table;
  }
  for (int i = 1; i <= count; ++i)
    if (!byIndex[std::size_t(i)])
      throw MergeError("shard " + std::to_string(i) + " of " + std::to_string(count) + " is missing (" +
                       shardTableName({i, count}) + ")");
  std::vector<NamedTable> ordered;
  for (int i = 1; i <= count; ++i) ordered.push_back(*byIndex[std::size_t(i)]);
  tables = std::move(ordered);
}

// The records of a CSV text (RFC 4180: a quoted field may hold commas, doubled quotes and line breaks), each a list
// of fields. Throws MergeError for a quote left open.
std::vector<std::vector<std::string>> csvRecords(const std::string& text, const std::string& name) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    any = true;
    if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      any = false;
    } else {
      field += c;
    }
  }
  if (quoted) throw MergeError(name + ": a quoted field is never closed (the table is cut short?)");
  if (any) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

// Every row of every table must come from one run (the same images, model file and settings: the run column,
// CellCounter::runFingerprint) and name each image once: a shard counted again with other options, another model or
// after the folder changed would otherwise slip rows counted otherwise into the table.
void checkOneRun(const std::vector<NamedTable>& tables) {
  std::string run, runTable;
  std::map<std::string, std::string> tableOfFile;
  for (const NamedTable& table : tables) {
    const auto records = csvRecords(table.content, table.name);
    const std::vector<std::string>& header = records.front();
    const auto column = [&](const char* name) {
      const auto at = std::find(header.begin(), header.end(), name);
      return at == header.end() ? -1 : int(at - header.begin());
    };
    const int runColumn = column("run"), fileColumn = column("file");
    // A count table has a row per image; regions.csv one per region of an image, objects.csv one per cell.
    const int partColumn = column("region") >= 0 ? column("region") : column("object");
    for (std::size_t r = 1; r < records.size(); ++r) {
      const std::vector<std::string>& row = records[r];
      if (row.size() != header.size())
        throw MergeError(table.name + ": row " + std::to_string(r + 1) + " has " + std::to_string(row.size()) +
                         " fields, the header " + std::to_string(header.size()));
      if (runColumn >= 0) {
        const std::string& own = row[std::size_t(runColumn)];
        if (run.empty()) {
          run = own;
          runTable = table.name;
        } else if (own != run) {
          throw MergeError(table.name + " was counted in another run than " + runTable + " (run " + own + ", not " +
                           run +
                           "): other images, another model file or other settings. Merge the tables of one run; "
                           "count a missing shard again with the run's own command");
        }
      }
      if (fileColumn >= 0) {
        const std::string& file = row[std::size_t(fileColumn)];
        const std::string part = partColumn >= 0 ? row[std::size_t(partColumn)] : std::string();
        const auto [at, added] = tableOfFile.emplace(file + '\x1f' + part, table.name);
        if (!added)
          throw MergeError(file + (part.empty() ? "" : " (" + header[std::size_t(partColumn)] + " " + part + ")") +
                           " is counted twice: in " + at->second + " and in " + table.name);
      }
    }
  }
}

}  // namespace

namespace {

// objects.csv has a column per channel (mean_ch1, mean_ch2, ...) up to the most channels of its images, so the
// objects tables of two shards may differ by these alone.
bool isChannelColumn(const std::string& name) {
  static const std::regex pattern("mean_ch[0-9]+");
  return std::regex_match(name, pattern);
}

// One CSV line of fields, each quoted as the tables quote them (csvField).
std::string csvRecord(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csvField(fields[i]);
  return line + "\n";
}

// Tables whose headers differ only in channel columns, joined under the header with the most: each row gets an
// empty field for a channel its table does not have.
std::string mergeAcrossChannelColumns(const std::vector<NamedTable>& tables) {
  std::vector<std::vector<std::vector<std::string>>> records;
  std::size_t widest = 0;
  for (const NamedTable& table : tables) {
    records.push_back(csvRecords(table.content, table.name));
    if (records.back().front().size() > records[widest].front().size()) widest = records.size() - 1;
  }
  const std::vector<std::string>& header = records[widest].front();
  const auto withoutChannels = [](const std::vector<std::string>& columns) {
    std::vector<std::string> rest;
    for (const std::string& column : columns)
      if (!isChannelColumn(column)) rest.push_back(column);
    return rest;
  };
  std::string merged = csvRecord(header);
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const std::vector<std::string>& own = records[t].front();
    bool fits = withoutChannels(own) == withoutChannels(header);
    for (const std::string& column : own)
      fits = fits && (!isChannelColumn(column) || std::find(header.begin(), header.end(), column) != header.end());
    if (!fits) throw MergeError(tables[t].name + " has other columns than " + tables[widest].name);
    std::vector<int> source;  // for each merged column, the table's column or -1
    for (const std::string& column : header) {
      const auto at = std::find(own.begin(), own.end(), column);
      source.push_back(at == own.end() ? -1 : int(at - own.begin()));
    }
    for (std::size_t r = 1; r < records[t].size(); ++r) {
      const std::vector<std::string>& row = records[t][r];
      if (row.size() != own.size())
        throw MergeError(tables[t].name + ": row " + std::to_string(r + 1) + " has " + std::to_string(row.size()) +
                         " fields, the header " + std::to_string(own.size()));
      std::vector<std::string> fields;
      for (int column : source) fields.push_back(column < 0 ? std::string() : row[std::size_t(column)]);
      merged += csvRecord(fields);
    }
  }
  return merged;
}

}  // namespace

std::string mergeCountTables(std::vector<NamedTable> tables) {
  if (tables.empty()) throw MergeError("no tables to merge");
  orderShards(tables);
  std::string header, merged;
  bool sameHeaders = true;
  for (const NamedTable& table : tables) {
    const std::size_t end = table.content.find('\n');
    if (end == std::string::npos) throw MergeError(table.name + " is empty or has no header line");
    const std::string own = table.content.substr(0, end + 1);
    if (header.empty()) {
      header = own;
      merged = own;
    }
    sameHeaders = sameHeaders && own == header;
    merged += table.content.substr(end + 1);
  }
  checkOneRun(tables);
  return sameHeaders ? merged : mergeAcrossChannelColumns(tables);
}

std::optional<std::string> runOfTable(const std::string& table) {
  std::vector<std::vector<std::string>> records;
  try {
    records = csvRecords(table, "table");
  } catch (const MergeError&) {
    return std::nullopt;
  }
  if (records.size() < 2) return std::nullopt;
  const auto& header = records.front();
  const auto column = std::find(header.begin(), header.end(), "run");
  if (column == header.end()) return std::nullopt;
  const std::size_t at = std::size_t(column - header.begin());
  std::optional<std::string> run;
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != header.size() || (run && records[r][at] != *run)) return std::nullopt;
    run = records[r][at];
  }
  return run;
}

namespace {
// A whole field of a table read as a number (from_chars: the tables' numbers are written whatever the locale).
template <typename Number>
std::optional<Number> numberIn(const std::string& field) {
  Number value{};
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size()) return std::nullopt;
  return value;
}
}  // namespace

std::optional<ImagesForTheRunMedian> imagesForTheRunMedian(const std::string& countsTable) {
  std::vector<std::vector<std::string>> records;
  try {
    records = csvRecords(countsTable, "table");
  } catch (const MergeError&) {
    return std::nullopt;
  }
  if (records.empty()) return std::nullopt;
  const auto& header = records.front();
  const auto columnOf = [&](const char* name) {
    return std::size_t(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t file = columnOf("file"), status = columnOf("status"), count = columnOf("count"),
                    diameter = columnOf("cell_diameter_px"), source = columnOf("cell_diameter_source");
  if (std::max({file, status, count, diameter, source}) >= header.size()) return std::nullopt;
  std::vector<std::optional<CountedDiameter>> counted;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& row = records[r];
    std::optional<CountedDiameter>& image = counted.emplace_back();
    const std::optional<DiameterSource> from =
        row.size() == header.size() && row[status] == "ok" ? diameterSourceNamed(row[source]) : std::nullopt;
    if (!from) continue;
    const std::optional<double> px = numberIn<double>(row[diameter]);
    const std::optional<int> cells = numberIn<int>(row[count]);
    if (px && cells) image = CountedDiameter{*from, *px, *cells};
  }
  const std::optional<SecondPass> pass = secondPassOf(counted);
  if (!pass) return std::nullopt;
  ImagesForTheRunMedian images{pass->diameterPx, {}};
  for (const std::size_t i : pass->images) images.files.push_back(records[i + 1][file]);
  return images;
}

}  // namespace fluocount
