#include "core/yaml_doc.h"

#include "core/suggest.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <charconv>
#include <map>
#include <vector>
#include <sstream>

namespace core::yaml {
namespace {

// Thrown from the event handler to stop the pre-pass at the first problem; caught in
// parseGuarded, never escapes this file.
struct PrepassStop {
  YamlErrc code;
  YAML::Mark mark;
  std::string message;
  std::string field;
};

// Walks the event stream before any node is built: nesting depth, anchors, aliases, duplicate
// keys and document count are checked here, so an alias bomb or a 10,000-deep list never becomes
// a tree, and a second `dry_run:` cannot be silently ignored (yaml-cpp keeps both entries and
// lookups return the first).
class GuardHandler final : public YAML::EventHandler {
 public:
  explicit GuardHandler(int max_depth) : max_depth_(max_depth) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw PrepassStop{YamlErrc::MultipleDocuments, mark, "only one YAML document per file is allowed", fieldPath()};
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    noAnchor(mark, anchor);
    node(mark, nullptr);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    throw PrepassStop{YamlErrc::AnchorOrAlias, mark, "YAML aliases are not allowed", fieldPath()};
  }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override {
    throw PrepassStop{YamlErrc::AnchorOrAlias, mark, "YAML anchors are not allowed", fieldPath()};
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    noAnchor(mark, anchor);
    node(mark, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

 private:
  void noAnchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      throw PrepassStop{YamlErrc::AnchorOrAlias, mark, "YAML anchors are not allowed", fieldPath()};
    }
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    noAnchor(mark, anchor);
    node(mark, nullptr);
    if (static_cast<int>(stack_.size()) + 1 > max_depth_) {
      throw PrepassStop{YamlErrc::TooDeep, mark, "nesting deeper than " + std::to_string(max_depth_) + " levels", fieldPath()};
    }
    stack_.push_back(Frame{is_map, true, {}, {}, 0});
  }
  void close() {
    if (!stack_.empty()) stack_.pop_back();
  }
  // Every node event passes here before its frame (if any) is pushed: inside a map, nodes
  // alternate key, value; a scalar key seen twice in one map is refused, naming its field.
  void node(const YAML::Mark& mark, const std::string* scalar) {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (!f.is_map) {
      f.key = "[" + std::to_string(f.index++) + "]";
      return;
    }
    if (f.next_is_key) {
      f.key = scalar ? *scalar : std::string("?");
      if (scalar) {
        const auto [it, inserted] = f.keys.emplace(*scalar, mark.line + 1);
        if (!inserted) {
          throw PrepassStop{YamlErrc::DuplicateKey, mark,
                            "duplicate key (first at line " + std::to_string(it->second) + ")", fieldPath()};
        }
      }
    }
    f.next_is_key = !f.next_is_key;
  }
  // Dotted path of the node being read: "healing.dry_run", "checks[2].probe".
  std::string fieldPath() const {
    std::string out;
    for (const auto& f : stack_) {
      if (f.key.empty()) break;
      if (!out.empty() && f.key[0] != '[') out += '.';
      out += f.key;
    }
    return out;
  }

  struct Frame {
    bool is_map;
    bool next_is_key;
    std::map<std::string, int> keys;  // key -> 1-based line of its first occurrence
    std::string key;                  // the key (map) or "[i]" (list) being read
    int index = 0;
  };
  int max_depth_;
  std::vector<Frame> stack_;
  int documents_ = 0;
};

YamlError makeError(YamlErrc code, const std::string& file, const YAML::Mark& mark,
                    std::string field, std::string message) {
  // yaml-cpp marks are 0-based; a null mark (-1) means "unknown".
  return YamlError{code, file, mark.line >= 0 ? mark.line + 1 : 0,
                   mark.column >= 0 ? mark.column + 1 : 0, std::move(field), std::move(message)};
}

const char* kindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    default: return "nothing";
  }
}

}  // namespace

std::string YamlError::format() const {
  std::ostringstream s;
  s << file;
  if (line > 0) s << ':' << line << ':' << column;
  s << ": ";
  if (!field.empty()) s << field << ": ";
  s << message;
  return s.str();
}

Result<YAML::Node, YamlError> parseGuarded(std::string_view text, const std::string& file,
                                           const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(YamlError{YamlErrc::TooLarge, file, 0, 0, "",
                          "file is " + std::to_string(text.size()) + " bytes, over the limit of " +
                              std::to_string(limits.max_bytes)});
  }
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    GuardHandler guard(limits.max_depth);
    while (parser.HandleNextDocument(guard)) {
    }
  } catch (const PrepassStop& stop) {
    return fail(makeError(stop.code, file, stop.mark, stop.field, stop.message));
  } catch (const YAML::DeepRecursion& e) {
    return fail(makeError(YamlErrc::TooDeep, file, e.mark, "", "nesting too deep"));
  } catch (const YAML::Exception& e) {
    return fail(makeError(YamlErrc::Syntax, file, e.mark, "", e.msg));
  }
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(makeError(YamlErrc::Syntax, file, e.mark, "", e.msg));
  }
}

void Diagnostics::add(YamlErrc code, const std::string& file, const YAML::Mark& mark,
                      std::string field, std::string message) {
  errors_.push_back(makeError(code, file, mark, std::move(field), std::move(message)));
}

std::string Diagnostics::format() const {
  std::string out;
  for (const auto& e : errors_) {
    out += e.format();
    out += '\n';
  }
  return out;
}

MapReader::MapReader(const YAML::Node& node, std::string file, std::string field,
                     Diagnostics& diag, bool allow_null)
    : node_(node), file_(std::move(file)), field_(std::move(field)), diag_(diag) {
  if (allow_null && (!node.IsDefined() || node.IsNull())) {
    node_ = YAML::Node(YAML::NodeType::Map);
    return;
  }
  if (!node.IsDefined() || !node.IsMap()) {
    valid_ = false;
    diag_.add(YamlErrc::Type, file_, node.IsDefined() ? node.Mark() : YAML::Mark::null_mark(),
              field_, std::string("expected a map, got ") + kindName(node));
  }
}

bool MapReader::has(const std::string& key) const {
  return valid_ && node_[key].IsDefined() && !node_[key].IsNull();
}

std::string MapReader::field(const std::string& key) const {
  return field_.empty() ? key : field_ + "." + key;
}

YAML::Mark MapReader::markOf(const std::string& key) const {
  if (valid_) {
    const YAML::Node v = node_[key];
    if (v.IsDefined()) return v.Mark();
  }
  return node_.Mark();
}

void MapReader::badValue(const std::string& key, const std::string& message) {
  diag_.add(YamlErrc::BadValue, file_, markOf(key), field(key), message);
}

YAML::Node MapReader::lookup(const std::string& key, bool required) {
  known_.push_back(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node v = node_[key];
  if (!v.IsDefined() || v.IsNull()) {
    if (required) diag_.add(YamlErrc::MissingKey, file_, node_.Mark(), field(key), "required key is missing");
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return v;
}

std::optional<std::string> MapReader::str(const std::string& key, bool required) {
  const YAML::Node v = lookup(key, required);
  if (!v.IsDefined()) return std::nullopt;
  return scalarString(v, file_, field(key), diag_);
}

std::optional<std::int64_t> MapReader::integer(const std::string& key, bool required) {
  const YAML::Node v = lookup(key, required);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) {
    diag_.add(YamlErrc::Type, file_, v.Mark(), field(key), std::string("expected an integer, got ") + kindName(v));
    return std::nullopt;
  }
  const std::string& s = v.Scalar();
  std::int64_t out = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    diag_.add(YamlErrc::Type, file_, v.Mark(), field(key), "expected an integer, got '" + s + "'");
    return std::nullopt;
  }
  return out;
}

std::optional<bool> MapReader::boolean(const std::string& key, bool required) {
  const YAML::Node v = lookup(key, required);
  if (!v.IsDefined()) return std::nullopt;
  bool out = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, out)) {
    diag_.add(YamlErrc::Type, file_, v.Mark(), field(key),
              "expected true or false, got " + (v.IsScalar() ? "'" + v.Scalar() + "'" : std::string(kindName(v))));
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<std::string>> MapReader::strList(const std::string& key, bool required) {
  const YAML::Node v = lookup(key, required);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsSequence()) {
    diag_.add(YamlErrc::Type, file_, v.Mark(), field(key), std::string("expected a list, got ") + kindName(v));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto s = scalarString(v[i], file_, field(key) + "[" + std::to_string(i) + "]", diag_);
    if (s) out.push_back(std::move(*s));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

YAML::Node MapReader::node(const std::string& key, bool required) { return lookup(key, required); }

void MapReader::finish() {
  if (!valid_) return;
  for (const auto& kv : node_) {
    const YAML::Node& k = kv.first;
    const std::string name = k.IsScalar() ? k.Scalar() : std::string();
    bool known = false;
    for (const auto& kn : known_) known = known || kn == name;
    if (!known) {
      diag_.add(YamlErrc::UnknownKey, file_, k.Mark(), field(name), "unknown key" + didYouMean(name, known_));
    }
  }
}

std::optional<std::string> scalarString(const YAML::Node& n, const std::string& file,
                                        const std::string& field, Diagnostics& diag) {
  if (!n.IsDefined() || !n.IsScalar()) {
    diag.add(YamlErrc::Type, file, n.IsDefined() ? n.Mark() : YAML::Mark::null_mark(), field,
             std::string("expected a string, got ") + kindName(n));
    return std::nullopt;
  }
  return n.Scalar();
}

}  // namespace core::yaml
