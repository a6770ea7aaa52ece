#include "core/sharding.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
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

}  // namespace

std::string mergeCountTables(std::vector<NamedTable> tables) {
  if (tables.empty()) throw MergeError("no tables to merge");
  orderShards(tables);
  std::string header, merged;
  for (const NamedTable& table : tables) {
    const std::size_t end = table.content.find('\n');
    if (end == std::string::npos) throw MergeError(table.name + " is empty or has no header line");
    const std::string own = table.content.substr(0, end + 1);
    if (header.empty()) {
      header = own;
      merged = own;
    } else if (own != header) {
      throw MergeError(table.name + " has other columns than " + tables.front().name);
    }
    merged += table.content.substr(end + 1);
  }
  return merged;
}

}  // namespace fluocount
