#include "libs/mixer/expression.h"

#include <arpa/inet.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "re2/re2.h"

namespace keel::mixer {

using istio::policy::v1beta1::ValueType_Name;
namespace vt = istio::policy::v1beta1;

std::string ValueTypeName(ValueType type) { return ValueType_Name(type); }

// A typed node; Eval returns the value or NotFound (absent) / other errors.
struct Expression::Node {
  ValueType type = vt::VALUE_TYPE_UNSPECIFIED;
  std::optional<AttributeValue> constant;  // set for literals
  std::function<absl::StatusOr<AttributeValue>(const AttributeBag&)> eval;
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

absl::Status Error(size_t column, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column + 1, ": ", message));
}

enum class Token { kEnd, kIdent, kString, kInt, kFloat, kOp };

// A small Go-expression lexer.
class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) { Next(); }

  Token token() const { return token_; }
  const std::string& text() const { return value_; }
  size_t column() const { return start_; }
  const absl::Status& error() const { return error_; }

  void Next() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
    start_ = pos_;
    value_.clear();
    if (pos_ >= text_.size()) {
      token_ = Token::kEnd;
      return;
    }
    const char c = text_[pos_];
    if (absl::ascii_isalpha(c) || c == '_') {
      while (pos_ < text_.size() && (absl::ascii_isalnum(text_[pos_]) || text_[pos_] == '_')) {
        value_ += text_[pos_++];
      }
      token_ = Token::kIdent;
    } else if (absl::ascii_isdigit(c)) {
      bool real = false;
      while (pos_ < text_.size() &&
             (absl::ascii_isdigit(text_[pos_]) || text_[pos_] == '.' || text_[pos_] == 'e' ||
              text_[pos_] == 'E')) {
        real |= !absl::ascii_isdigit(text_[pos_]);
        value_ += text_[pos_++];
      }
      token_ = real ? Token::kFloat : Token::kInt;
    } else if (c == '"' || c == '`') {
      ReadString(c);
    } else {
      static const char* const kOps[] = {"==", "!=", "&&", "||", "<=", ">=", "!", "|", "(", ")",
                                         "[", "]", ",", ".", "<", ">", "+", "-", "*", "/", "&"};
      for (const char* op : kOps) {
        if (text_.substr(pos_).substr(0, strlen(op)) == op) {
          value_ = op;
          pos_ += strlen(op);
          token_ = Token::kOp;
          return;
        }
      }
      Fail(absl::StrCat("unexpected character '", std::string(1, c), "'"));
    }
  }

 private:
  void Fail(const std::string& message) {
    if (error_.ok()) error_ = Error(start_, message);
    token_ = Token::kEnd;
  }

  void ReadString(char quote) {
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && quote == '"') {
        if (pos_ >= text_.size()) break;
        const char e = text_[pos_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case '\\': c = '\\'; break;
          case '"': c = '"'; break;
          case '\'': c = '\''; break;
          default:
            Fail(absl::StrCat("unsupported escape \\", std::string(1, e)));
            return;
        }
      }
      value_ += c;
    }
    if (pos_ >= text_.size()) {
      Fail("unterminated string");
      return;
    }
    ++pos_;
    token_ = Token::kString;
  }

  absl::string_view text_;
  size_t pos_ = 0, start_ = 0;
  Token token_ = Token::kEnd;
  std::string value_;
  absl::Status error_;
};

bool Glob(const std::string& pattern, const std::string& value) {
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  if (absl::StartsWith(pattern, "*")) return absl::EndsWith(value, pattern.substr(1));
  return pattern == value;
}

NodePtr Make(ValueType type, std::function<absl::StatusOr<AttributeValue>(const AttributeBag&)> f) {
  auto node = std::make_shared<Node>();
  node->type = type;
  node->eval = std::move(f);
  return node;
}

NodePtr Constant(ValueType type, AttributeValue value) {
  auto node = std::make_shared<Node>();
  node->type = type;
  node->constant = value;
  node->eval = [value](const AttributeBag&) -> absl::StatusOr<AttributeValue> { return value; };
  return node;
}

class Parser {
 public:
  Parser(absl::string_view text, const AttributeTypes& types, const ExpressionLimits& limits)
      : lexer_(text), types_(types), limits_(limits) {}

  absl::StatusOr<NodePtr> Parse() {
    absl::StatusOr<NodePtr> root = Binary(1, 0);
    if (!lexer_.error().ok()) return lexer_.error();
    if (!root.ok()) return root.status();
    if (lexer_.token() != Token::kEnd) {
      return Error(lexer_.column(), absl::StrCat("unexpected \"", lexer_.text(), "\""));
    }
    return root;
  }

  std::vector<AttributeReference> TakeReferences() {
    std::vector<AttributeReference> unique;
    for (AttributeReference& r : references_) {
      if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(std::move(r));
    }
    return unique;
  }

 private:
  static int Precedence(const std::string& op) {
    if (op == "||") return 1;
    if (op == "&&") return 2;
    if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") return 3;
    if (op == "|" || op == "+" || op == "-") return 4;
    if (op == "*" || op == "/" || op == "&") return 5;
    return 0;
  }

  absl::StatusOr<NodePtr> Binary(int min_precedence, int depth) {
    if (depth > limits_.max_depth) {
      return Error(lexer_.column(), absl::StrCat("nested deeper than ", limits_.max_depth));
    }
    absl::StatusOr<NodePtr> left = Unary(depth + 1);
    if (!left.ok()) return left;
    while (lexer_.token() == Token::kOp && Precedence(lexer_.text()) >= min_precedence) {
      const std::string op = lexer_.text();
      const size_t column = lexer_.column();
      const int precedence = Precedence(op);
      lexer_.Next();
      absl::StatusOr<NodePtr> right = Binary(precedence + 1, depth + 1);
      if (!right.ok()) return right;
      absl::StatusOr<NodePtr> combined = Combine(op, column, *left, *right);
      if (!combined.ok()) return combined;
      left = combined;
    }
    return left;
  }

  absl::StatusOr<NodePtr> Combine(const std::string& op, size_t column, NodePtr left,
                                  NodePtr right) {
    // A string literal beside a duration is one, in Go's syntax (Istio's
    // own config writes `response.duration | "0ms"`).
    for (auto [literal, other] : {std::pair{&left, &right}, std::pair{&right, &left}}) {
      if ((*other)->type != vt::DURATION || (*literal)->type != vt::STRING ||
          !(*literal)->constant.has_value()) {
        continue;
      }
      absl::Duration parsed;
      const std::string& text = std::get<std::string>(*(*literal)->constant);
      if (!absl::ParseDuration(text, &parsed)) {
        return Error(column, absl::StrCat("\"", text, "\" is not a duration"));
      }
      *literal = Constant(vt::DURATION, parsed);
    }
    auto mismatch = [&]() {
      return Error(column, absl::StrCat("\"", op, "\" between ", ValueTypeName(left->type), " and ",
                                        ValueTypeName(right->type)));
    };
    if (op == "||" || op == "&&") {
      if (left->type != vt::BOOL || right->type != vt::BOOL) return mismatch();
      const bool is_or = op == "||";
      return Make(vt::BOOL, [=](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        absl::StatusOr<AttributeValue> l = left->eval(bag);
        if (!l.ok()) return l;
        if (std::get<bool>(*l) == is_or) return *l;  // short-circuit
        return right->eval(bag);
      });
    }
    if (op == "==" || op == "!=") {
      if (left->type != right->type) return mismatch();
      const bool equal = op == "==";
      return Make(vt::BOOL, [=](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        absl::StatusOr<AttributeValue> l = left->eval(bag);
        if (!l.ok()) return l.status();
        absl::StatusOr<AttributeValue> r = right->eval(bag);
        if (!r.ok()) return r.status();
        return AttributeValue((*l == *r) == equal);
      });
    }
    if (op == "|") {
      if (left->type != right->type) return mismatch();
      return Make(left->type, [=](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        absl::StatusOr<AttributeValue> l = left->eval(bag);
        if (l.ok() || l.status().code() != absl::StatusCode::kNotFound) return l;
        return right->eval(bag);
      });
    }
    return Error(column, absl::StrCat("operator \"", op, "\" is not supported"));
  }

  absl::StatusOr<NodePtr> Unary(int depth) {
    if (lexer_.token() == Token::kOp && lexer_.text() == "!") {
      const size_t column = lexer_.column();
      lexer_.Next();
      absl::StatusOr<NodePtr> operand = Unary(depth + 1);
      if (!operand.ok()) return operand;
      if ((*operand)->type != vt::BOOL) {
        return Error(column, absl::StrCat("\"!\" of ", ValueTypeName((*operand)->type)));
      }
      NodePtr inner = *operand;
      return Make(vt::BOOL, [inner](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        absl::StatusOr<AttributeValue> v = inner->eval(bag);
        if (!v.ok()) return v;
        return AttributeValue(!std::get<bool>(*v));
      });
    }
    return Postfix(depth);
  }

  // A primary followed by indexes and calls.
  absl::StatusOr<NodePtr> Postfix(int depth) {
    if (depth > limits_.max_depth) {
      return Error(lexer_.column(), absl::StrCat("nested deeper than ", limits_.max_depth));
    }
    const size_t column = lexer_.column();
    NodePtr node;
    std::string receiver_method;  // "x.startsWith" seen: the call takes x
    if (lexer_.token() == Token::kOp && lexer_.text() == "(") {
      lexer_.Next();
      absl::StatusOr<NodePtr> inner = Binary(1, depth + 1);
      if (!inner.ok()) return inner;
      if (!Expect(")")) return Error(lexer_.column(), "expected \")\"");
      node = *inner;
    } else if (lexer_.token() == Token::kString) {
      node = Constant(vt::STRING, lexer_.text());
      lexer_.Next();
    } else if (lexer_.token() == Token::kInt) {
      int64_t value;
      if (!absl::SimpleAtoi(lexer_.text(), &value)) {
        return Error(column, absl::StrCat("bad integer ", lexer_.text()));
      }
      node = Constant(vt::INT64, value);
      lexer_.Next();
    } else if (lexer_.token() == Token::kFloat) {
      double value;
      if (!absl::SimpleAtod(lexer_.text(), &value)) {
        return Error(column, absl::StrCat("bad number ", lexer_.text()));
      }
      node = Constant(vt::DOUBLE, value);
      lexer_.Next();
    } else if (lexer_.token() == Token::kIdent) {
      // A dotted name: an attribute, a function, or x.method.
      std::vector<std::string> parts = {lexer_.text()};
      lexer_.Next();
      while (lexer_.token() == Token::kOp && lexer_.text() == ".") {
        lexer_.Next();
        if (lexer_.token() != Token::kIdent) return Error(lexer_.column(), "expected a name after \".\"");
        parts.push_back(lexer_.text());
        lexer_.Next();
      }
      const bool call = lexer_.token() == Token::kOp && lexer_.text() == "(";
      if (call && parts.size() == 1) {
        return Call(parts[0], nullptr, column, depth);
      }
      if (call) {
        receiver_method = parts.back();
        parts.pop_back();
      }
      std::string name = absl::StrJoin(parts, ".");
      if (!call && parts.size() == 1 && (name == "true" || name == "false")) {
        node = Constant(vt::BOOL, name == "true");
      } else {
        auto type = types_.find(name);
        if (type == types_.end()) return Error(column, absl::StrCat("unknown attribute ", name));
        node = Make(type->second, [name](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
          auto it = bag.find(name);
          if (it == bag.end()) return absl::NotFoundError(absl::StrCat("lookup failed: '", name, "'"));
          return it->second;
        });
        attribute_nodes_[node.get()] = references_.size();
        references_.push_back(AttributeReference{.name = name});
      }
      if (!receiver_method.empty()) return Call(receiver_method, node, column, depth);
    } else {
      return Error(column, lexer_.token() == Token::kEnd ? "unexpected end of expression"
                                                          : absl::StrCat("unexpected \"",
                                                                         lexer_.text(), "\""));
    }
    // A literal's method: "re".matches(x).
    while (lexer_.token() == Token::kOp &&
           (lexer_.text() == "[" || lexer_.text() == ".")) {
      if (lexer_.text() == ".") {
        lexer_.Next();
        if (lexer_.token() != Token::kIdent) return Error(lexer_.column(), "expected a method");
        const std::string method = lexer_.text();
        lexer_.Next();
        absl::StatusOr<NodePtr> called = Call(method, node, column, depth);
        if (!called.ok()) return called;
        node = *called;
        continue;
      }
      const size_t at = lexer_.column();
      lexer_.Next();
      absl::StatusOr<NodePtr> key = Binary(1, depth + 1);
      if (!key.ok()) return key;
      if (!Expect("]")) return Error(lexer_.column(), "expected \"]\"");
      if (node->type != vt::STRING_MAP || (*key)->type != vt::STRING) {
        return Error(at, absl::StrCat("cannot index ", ValueTypeName(node->type), " with ",
                                      ValueTypeName((*key)->type)));
      }
      // m["key"] on an attribute reads one key, not the whole map.
      if (auto it = attribute_nodes_.find(node.get());
          it != attribute_nodes_.end() && (*key)->constant.has_value()) {
        references_[it->second].map_key = std::get<std::string>(*(*key)->constant);
      }
      NodePtr map = node, index = *key;
      node = Make(vt::STRING, [map, index](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        absl::StatusOr<AttributeValue> m = map->eval(bag);
        if (!m.ok()) return m;
        absl::StatusOr<AttributeValue> k = index->eval(bag);
        if (!k.ok()) return k;
        const StringMap& entries = std::get<StringMap>(*m);
        auto it = entries.find(std::get<std::string>(*k));
        if (it == entries.end()) {
          return absl::NotFoundError(
              absl::StrCat("lookup failed: '", std::get<std::string>(*k), "'"));
        }
        return AttributeValue(it->second);
      });
    }
    return node;
  }

  bool Expect(const char* op) {
    if (lexer_.token() != Token::kOp || lexer_.text() != op) return false;
    lexer_.Next();
    return true;
  }

  // Call parses the argument list and builds function `name` (with
  // `receiver` for the method forms).
  absl::StatusOr<NodePtr> Call(const std::string& name, NodePtr receiver, size_t column,
                               int depth) {
    if (!Expect("(")) return Error(lexer_.column(), "expected \"(\"");
    std::vector<NodePtr> args;
    if (receiver != nullptr) args.push_back(receiver);
    if (!Expect(")")) {
      while (true) {
        absl::StatusOr<NodePtr> arg = Binary(1, depth + 1);
        if (!arg.ok()) return arg;
        args.push_back(*arg);
        if (Expect(")")) break;
        if (!Expect(",")) return Error(lexer_.column(), "expected \",\" or \")\"");
      }
    }
    auto want = [&](std::vector<ValueType> types) -> absl::Status {
      if (args.size() != types.size()) {
        return Error(column, absl::StrCat(name, " takes ", types.size() - (receiver ? 1 : 0),
                                          " arguments, not ", args.size() - (receiver ? 1 : 0)));
      }
      for (size_t i = 0; i < types.size(); ++i) {
        if (types[i] != vt::VALUE_TYPE_UNSPECIFIED && args[i]->type != types[i]) {
          return Error(column, absl::StrCat(name, ": argument ", i + 1, " is ",
                                            ValueTypeName(args[i]->type), ", not ",
                                            ValueTypeName(types[i])));
        }
      }
      return absl::OkStatus();
    };
    // String functions of one or two strings.
    auto strings = [&](ValueType result,
                       std::function<absl::StatusOr<AttributeValue>(const std::vector<std::string>&)>
                           f) -> NodePtr {
      std::vector<NodePtr> in = args;
      return Make(result, [in, f](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        std::vector<std::string> values;
        for (const NodePtr& arg : in) {
          absl::StatusOr<AttributeValue> v = arg->eval(bag);
          if (!v.ok()) return v;
          values.push_back(std::get<std::string>(*v));
        }
        return f(values);
      });
    };
    if (name == "match") {
      if (absl::Status s = want({vt::STRING, vt::STRING}); !s.ok()) return s;
      return strings(vt::BOOL, [](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        return AttributeValue(Glob(v[1], v[0]));
      });
    }
    if (name == "startsWith" || name == "endsWith") {
      if (absl::Status s = want({vt::STRING, vt::STRING}); !s.ok()) return s;
      const bool starts = name == "startsWith";
      return strings(vt::BOOL, [starts](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        return AttributeValue(starts ? absl::StartsWith(v[0], v[1]) : absl::EndsWith(v[0], v[1]));
      });
    }
    if (name == "matches") {
      if (absl::Status s = want({vt::STRING, vt::STRING}); !s.ok()) return s;
      // The pattern is compiled once when it is a literal (and checked now);
      // a computed one is bounded and compiled per use.
      const size_t max_regex = limits_.max_regex_length;
      if (args[0]->constant.has_value()) {
        const std::string& pattern = std::get<std::string>(*args[0]->constant);
        if (pattern.size() > max_regex) {
          return Error(column, absl::StrCat("regex of ", pattern.size(),
                                            " characters; the limit is ", max_regex));
        }
        RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(1 << 20);
        auto re = std::make_shared<const RE2>(pattern, options);
        if (!re->ok()) return Error(column, absl::StrCat("bad regex: ", re->error()));
        NodePtr subject = args[1];
        return Make(vt::BOOL, [re, subject](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
          absl::StatusOr<AttributeValue> v = subject->eval(bag);
          if (!v.ok()) return v;
          return AttributeValue(RE2::PartialMatch(std::get<std::string>(*v), *re));
        });
      }
      return strings(vt::BOOL, [max_regex](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        if (v[0].size() > max_regex) return absl::InvalidArgumentError("regex too long");
        RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(1 << 20);
        RE2 re(v[0], options);
        if (!re.ok()) return absl::InvalidArgumentError(absl::StrCat("bad regex: ", re.error()));
        return AttributeValue(RE2::PartialMatch(v[1], re));
      });
    }
    if (name == "toLower") {
      if (absl::Status s = want({vt::STRING}); !s.ok()) return s;
      return strings(vt::STRING, [](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        return AttributeValue(absl::AsciiStrToLower(v[0]));
      });
    }
    if (name == "email" || name == "dnsName" || name == "uri") {
      if (absl::Status s = want({vt::STRING}); !s.ok()) return s;
      const ValueType type = name == "email" ? vt::EMAIL_ADDRESS : name == "uri" ? vt::URI : vt::DNS_NAME;
      return strings(type, [](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        return AttributeValue(v[0]);
      });
    }
    if (name == "ip") {
      if (absl::Status s = want({vt::STRING}); !s.ok()) return s;
      return strings(vt::IP_ADDRESS, [](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        unsigned char address[16];
        if (inet_pton(AF_INET, v[0].c_str(), address) == 1) {
          return AttributeValue(Bytes{std::string(reinterpret_cast<char*>(address), 4)});
        }
        if (inet_pton(AF_INET6, v[0].c_str(), address) == 1) {
          return AttributeValue(Bytes{std::string(reinterpret_cast<char*>(address), 16)});
        }
        return absl::InvalidArgumentError(absl::StrCat("ip: \"", v[0], "\" is not an IP address"));
      });
    }
    if (name == "timestamp") {
      if (absl::Status s = want({vt::STRING}); !s.ok()) return s;
      return strings(vt::TIMESTAMP, [](const std::vector<std::string>& v) -> absl::StatusOr<AttributeValue> {
        absl::Time time;
        std::string error;
        if (!absl::ParseTime(absl::RFC3339_full, v[0], &time, &error)) {
          return absl::InvalidArgumentError(absl::StrCat("timestamp: ", error));
        }
        return AttributeValue(time);
      });
    }
    if (name == "emptyStringMap") {
      if (absl::Status s = want({}); !s.ok()) return s;
      return Constant(vt::STRING_MAP, StringMap{});
    }
    if (name == "conditional") {
      if (args.size() != 3) return Error(column, "conditional takes 3 arguments");
      if (args[0]->type != vt::BOOL) return Error(column, "conditional: the condition is not BOOL");
      if (args[1]->type != args[2]->type) {
        return Error(column, absl::StrCat("conditional: ", ValueTypeName(args[1]->type), " and ",
                                          ValueTypeName(args[2]->type), " differ"));
      }
      std::vector<NodePtr> in = args;
      return Make(args[1]->type, [in](const AttributeBag& bag) -> absl::StatusOr<AttributeValue> {
        absl::StatusOr<AttributeValue> condition = in[0]->eval(bag);
        if (!condition.ok()) return condition;
        return in[std::get<bool>(*condition) ? 1 : 2]->eval(bag);
      });
    }
    return Error(column, absl::StrCat("unknown function ", name));
  }

  Lexer lexer_;
  const AttributeTypes& types_;
  const ExpressionLimits& limits_;
  std::vector<AttributeReference> references_;
  // Attribute nodes, to their entry in references_.
  absl::flat_hash_map<const Node*, size_t> attribute_nodes_;
};

}  // namespace

absl::StatusOr<Expression> Expression::Compile(absl::string_view text, const AttributeTypes& types,
                                               const ExpressionLimits& limits) {
  if (text.size() > limits.max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("expression of ", text.size(), " characters; the limit is ", limits.max_length));
  }
  Parser parser(text, types, limits);
  absl::StatusOr<NodePtr> root = parser.Parse();
  if (!root.ok()) return root.status();
  return Expression(*std::move(root), std::make_shared<const std::vector<AttributeReference>>(
                                          parser.TakeReferences()));
}

ValueType Expression::type() const { return root_->type; }

absl::StatusOr<AttributeValue> Expression::Evaluate(const AttributeBag& bag) const {
  return root_->eval(bag);
}

}  // namespace keel::mixer
