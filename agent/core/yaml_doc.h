#pragma once
// Guarded YAML parsing shared by config/ and rules/: limits checked before any document is built,
// anchors and aliases refused (they allow expansion bombs), and a strict map reader whose errors
// name file, line, column and field. JSON files go through the same parser (YAML is a superset),
// so they get the same positions and limits.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace core::yaml {

enum class YamlErrc {
  TooLarge,           // the file is over Limits::max_bytes (checked before parsing)
  TooDeep,            // nesting over Limits::max_depth (checked in an event pre-pass)
  AnchorOrAlias,      // '&anchor' or '*alias' anywhere
  MultipleDocuments,  // more than one '---' document
  DuplicateKey,       // the same key twice in one map (yaml-cpp would silently keep the first)
  Syntax,             // yaml-cpp could not parse it
  Type,               // a value of the wrong kind (map/list/scalar, int, bool)
  UnknownKey,         // a key the schema does not have
  MissingKey,         // a required key is absent
  BadValue,           // right type, invalid value (bad enum, bad duration, bad regex ...)
  Io,                 // the file could not be read
};

struct YamlError {
  YamlErrc code;
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string field;  // dotted path of the field, e.g. "checks[2].probe.path"; may be empty
  std::string message;

  /// "file:line:col: field: message", the form every validation error is printed in.
  std::string format() const;
};

struct Limits {
  std::size_t max_bytes;
  int max_depth;
};

/// Parses one YAML (or JSON) document from `text`. `file` is only used in messages.
/// Fails with TooLarge / TooDeep / AnchorOrAlias / MultipleDocuments / Syntax.
/// An empty document parses to a null node.
Result<YAML::Node, YamlError> parseGuarded(std::string_view text, const std::string& file,
                                           const Limits& limits);

/// Errors collected while validating one or more documents, in order found.
class Diagnostics {
 public:
  void add(YamlError e) { errors_.push_back(std::move(e)); }
  void add(YamlErrc code, const std::string& file, const YAML::Mark& mark, std::string field,
           std::string message);
  bool empty() const { return errors_.empty(); }
  const std::vector<YamlError>& errors() const { return errors_; }
  /// All errors, one per line, in format().
  std::string format() const;

 private:
  std::vector<YamlError> errors_;
};

/// Reads one YAML mapping against a schema: each getter marks its key as known and checks the
/// type; finish() reports every key that no getter asked for. Errors go to Diagnostics and the
/// getter returns nullopt, so one pass reports all problems of a document.
class MapReader {
 public:
  /// `field` is the dotted path of this map ("" for the document root). A non-map node (other
  /// than null when `allow_null`) is reported as a Type error and valid() is false.
  MapReader(const YAML::Node& node, std::string file, std::string field, Diagnostics& diag,
            bool allow_null = false);

  bool valid() const { return valid_; }
  bool has(const std::string& key) const;

  std::optional<std::string> str(const std::string& key, bool required = false);
  std::optional<std::int64_t> integer(const std::string& key, bool required = false);
  std::optional<bool> boolean(const std::string& key, bool required = false);
  std::optional<std::vector<std::string>> strList(const std::string& key, bool required = false);
  /// The raw node of `key` (undefined node when absent), for nested structures.
  YAML::Node node(const std::string& key, bool required = false);

  /// Dotted path of a child field, e.g. field("probe") -> "checks[2].probe".
  std::string field(const std::string& key) const;
  /// Position of `key`'s value (or of the map itself when the key is absent).
  YAML::Mark markOf(const std::string& key) const;
  /// Records a BadValue error at `key`'s position.
  void badValue(const std::string& key, const std::string& message);

  /// Reports unknown keys. Call once, after all getters.
  void finish();

  const std::string& file() const { return file_; }
  Diagnostics& diagnostics() { return diag_; }

 private:
  YAML::Node lookup(const std::string& key, bool required);

  YAML::Node node_;
  std::string file_;
  std::string field_;
  Diagnostics& diag_;
  bool valid_ = true;
  std::vector<std::string> known_;
};

/// Scalar helpers for nodes outside a map (list items).
std::optional<std::string> scalarString(const YAML::Node& n, const std::string& file,
                                        const std::string& field, Diagnostics& diag);

/// The string of a scalar node exactly as written (yaml-cpp keeps it unconverted).
inline bool isScalar(const YAML::Node& n) { return n.IsDefined() && n.IsScalar(); }

}  // namespace core::yaml
