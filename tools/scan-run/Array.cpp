//===- Array.cpp - host arrays, .npy files and memref descriptors ---------===//
//
// .npy reading and writing, the seeded normal generator, element-wise
// comparison and memref descriptors for scan-run.
//
//===----------------------------------------------------------------------===//

#include "Array.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <unistd.h>

using namespace scanrun;
using llvm::StringRef;

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

StringRef scanrun::npyDescr(ElementType t) {
  switch (t) {
  case ElementType::F32:
    return "<f4";
  case ElementType::F64:
    return "<f8";
  case ElementType::I8:
    return "|i1";
  case ElementType::I16:
    return "<i2";
  case ElementType::I32:
    return "<i4";
  case ElementType::I64:
    return "<i8";
  case ElementType::I1:
    return "|b1";
  }
  return "?";
}

bool scanrun::isFloat(ElementType t) { return t == ElementType::F32 || t == ElementType::F64; }

static std::string shapeStr(ElementType t, llvm::ArrayRef<int64_t> shape) {
  std::string s = elementTypeName(t).str() + "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Array
//===----------------------------------------------------------------------===//

void Array::FreeDeleter::operator()(void *p) const { std::free(p); }

Array::Array(ElementType dtype, llvm::ArrayRef<int64_t> shape)
    : type(dtype), dims(shape.begin(), shape.end()) {
  std::optional<int64_t> size = denseByteSize(dims, elementSize(dtype));
  if (!size || *size > physicalMemoryBytes())
    return;
  count = *size / static_cast<int64_t>(elementSize(dtype));
  // aligned_alloc wants a non-zero multiple of the alignment.
  size_t bytes = std::max<size_t>(64, (byteSize() + 63) / 64 * 64);
  storage.reset(static_cast<char *>(std::aligned_alloc(64, bytes)));
  if (storage)
    std::memset(storage.get(), 0, bytes);
}

double Array::get(int64_t i) const {
  const char *p = storage.get();
  switch (type) {
  case ElementType::F32:
    return reinterpret_cast<const float *>(p)[i];
  case ElementType::F64:
    return reinterpret_cast<const double *>(p)[i];
  case ElementType::I8:
    return reinterpret_cast<const int8_t *>(p)[i];
  case ElementType::I16:
    return reinterpret_cast<const int16_t *>(p)[i];
  case ElementType::I32:
    return reinterpret_cast<const int32_t *>(p)[i];
  case ElementType::I64:
    return static_cast<double>(reinterpret_cast<const int64_t *>(p)[i]);
  case ElementType::I1:
    return reinterpret_cast<const uint8_t *>(p)[i] ? 1.0 : 0.0;
  }
  return 0;
}

void Array::set(int64_t i, double v) {
  char *p = storage.get();
  switch (type) {
  case ElementType::F32:
    reinterpret_cast<float *>(p)[i] = static_cast<float>(v);
    return;
  case ElementType::F64:
    reinterpret_cast<double *>(p)[i] = v;
    return;
  case ElementType::I8:
    reinterpret_cast<int8_t *>(p)[i] = static_cast<int8_t>(v);
    return;
  case ElementType::I16:
    reinterpret_cast<int16_t *>(p)[i] = static_cast<int16_t>(v);
    return;
  case ElementType::I32:
    reinterpret_cast<int32_t *>(p)[i] = static_cast<int32_t>(v);
    return;
  case ElementType::I64:
    reinterpret_cast<int64_t *>(p)[i] = static_cast<int64_t>(v);
    return;
  case ElementType::I1:
    reinterpret_cast<uint8_t *>(p)[i] = v != 0.0;
    return;
  }
}

Array Array::clone() const {
  Array c(type, dims);
  if (c.data())
    std::memcpy(c.data(), data(), byteSize());
  return c;
}

std::string Array::specStr() const { return shapeStr(type, dims); }

//===----------------------------------------------------------------------===//
// .npy files
//===----------------------------------------------------------------------===//

static const char kMagic[] = "\x93NUMPY";

namespace {
/// A tiny reader for the Python dict literal in a .npy header, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
struct HeaderParser {
  StringRef text;

  void skipSpace() { text = text.ltrim(" \t\n\r"); }
  bool consume(StringRef tok) {
    skipSpace();
    return text.consume_front(tok);
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (text.empty() || (text.front() != '\'' && text.front() != '"'))
      return false;
    char quote = text.front();
    size_t end = text.find(quote, 1);
    if (end == StringRef::npos)
      return false;
    out = text.substr(1, end - 1).str();
    text = text.drop_front(end + 1);
    return true;
  }
  bool parseInt(int64_t &out) {
    skipSpace();
    size_t n = 0;
    while (n < text.size() && llvm::isDigit(text[n]))
      ++n;
    if (n == 0 || n > 18)
      return false;
    if (text.substr(0, n).getAsInteger(10, out))
      return false;
    text = text.drop_front(n);
    return true;
  }
};
} // namespace

static llvm::Expected<ElementType> elementTypeOfNpyDescr(StringRef descr) {
  if (descr.size() < 2)
    return fail("unsupported dtype '" + descr + "'");
  char order = descr.front();
  StringRef kind = descr.drop_front();
  if (order == '>' && kind != "i1" && kind != "b1" && kind != "u1")
    return fail("big-endian dtype '" + descr + "' is not supported");
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return fail("unsupported dtype '" + descr + "'");
  if (kind == "f4")
    return ElementType::F32;
  if (kind == "f8")
    return ElementType::F64;
  if (kind == "i1")
    return ElementType::I8;
  if (kind == "i2")
    return ElementType::I16;
  if (kind == "i4")
    return ElementType::I32;
  if (kind == "i8")
    return ElementType::I64;
  if (kind == "b1")
    return ElementType::I1;
  return fail("unsupported dtype '" + descr + "'");
}

static llvm::Expected<Array> parseNpy(StringRef buf) {
  if (buf.size() < 10 || !buf.starts_with(StringRef(kMagic, 6)))
    return fail("not a .npy file (bad magic string)");
  unsigned major = static_cast<uint8_t>(buf[6]);
  size_t headerLen, prefix;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(buf[8]) |
                (static_cast<size_t>(static_cast<uint8_t>(buf[9])) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (buf.size() < 12)
      return fail("truncated .npy header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<uint8_t>(buf[8 + i]))
                   << (8 * i);
    prefix = 12;
  } else {
    return fail("unsupported .npy format version " + llvm::Twine(major));
  }
  if (buf.size() < prefix + headerLen)
    return fail("truncated .npy header");
  HeaderParser p{buf.substr(prefix, headerLen)};

  std::string descr;
  bool haveDescr = false, haveOrder = false, haveShape = false;
  bool fortran = false;
  llvm::SmallVector<int64_t> shape;
  if (!p.consume("{"))
    return fail("malformed .npy header");
  while (!p.consume("}")) {
    std::string key;
    if (!p.parseString(key) || !p.consume(":"))
      return fail("malformed .npy header");
    if (key == "descr") {
      if (!p.parseString(descr))
        return fail("malformed .npy header: 'descr' is not a string");
      haveDescr = true;
    } else if (key == "fortran_order") {
      if (p.consume("False"))
        fortran = false;
      else if (p.consume("True"))
        fortran = true;
      else
        return fail("malformed .npy header: bad 'fortran_order'");
      haveOrder = true;
    } else if (key == "shape") {
      if (!p.consume("("))
        return fail("malformed .npy header: bad 'shape'");
      while (!p.consume(")")) {
        int64_t d;
        if (!p.parseInt(d))
          return fail("malformed .npy header: bad 'shape'");
        shape.push_back(d);
        if (p.consume(")"))
          break;
        if (!p.consume(","))
          return fail("malformed .npy header: bad 'shape'");
      }
      haveShape = true;
    } else {
      return fail("malformed .npy header: unknown key '" + key + "'");
    }
    if (!p.consume(",")) {
      if (!p.consume("}"))
        return fail("malformed .npy header");
      break;
    }
  }
  if (!haveDescr || !haveOrder || !haveShape)
    return fail("malformed .npy header: missing 'descr', 'fortran_order' or "
                "'shape'");
  if (fortran)
    return fail("fortran_order arrays are not supported (save a C-order "
                "array, e.g. with numpy.ascontiguousarray)");
  auto dtype = elementTypeOfNpyDescr(descr);
  if (!dtype)
    return dtype.takeError();
  std::optional<int64_t> bytes = denseByteSize(shape, elementSize(*dtype));
  if (!bytes)
    return fail("the header's shape " + shapeStr(*dtype, shape) +
                " has more than 2^63 bytes");
  size_t want = *bytes;
  size_t have = buf.size() - prefix - headerLen;
  if (have < want)
    return fail("truncated data: " + llvm::Twine(have) + " bytes, expected " +
                llvm::Twine(want) + " for " + shapeStr(*dtype, shape));
  if (have > want)
    return fail("garbled data: " + llvm::Twine(have) + " bytes, expected " +
                llvm::Twine(want) + " for " + shapeStr(*dtype, shape));
  Array a(*dtype, shape);
  if (!a.data())
    return fail("cannot allocate " + llvm::Twine(want) + " bytes");
  std::memcpy(a.data(), buf.data() + prefix + headerLen, want);
  return a;
}

llvm::Expected<Array> scanrun::readNpy(StringRef path) {
  auto bufOr = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bufOr)
    return fail("cannot read '" + path + "': " + bufOr.getError().message());
  auto a = parseNpy((*bufOr)->getBuffer());
  if (!a)
    return fail("'" + path + "': " + llvm::toString(a.takeError()));
  return a;
}

llvm::Error scanrun::writeNpy(StringRef path, const Array &a) {
  std::string dims;
  for (int64_t d : a.shape())
    dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  if (a.rank() == 1)
    dims += ",";
  std::string header = "{'descr': '" + npyDescr(a.dtype()).str() +
                       "', 'fortran_order': False, 'shape': (" + dims + ")";
  header += ", }";
  // Pad with spaces so that magic + version + length + header + '\n' is a
  // multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  os.write(kMagic, 6);
  os << '\x01' << '\x00';
  os << static_cast<char>(header.size() & 0xff)
     << static_cast<char>((header.size() >> 8) & 0xff);
  os << header;
  os.write(static_cast<const char *>(a.data()), a.byteSize());
  os.close();
  if (os.has_error()) {
    os.clear_error();
    return fail("cannot write '" + path + "'");
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Random inputs, comparison, descriptors
//===----------------------------------------------------------------------===//

void scanrun::fillRandomNormal(Array &a, uint64_t seed, double scale) {
  std::mt19937_64 gen(seed);
  // 53 random bits -> a double in (0, 1].
  auto uniform = [&]() {
    return (static_cast<double>(gen() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  };
  int64_t n = a.numElements();
  if (!isFloat(a.dtype())) {
    for (int64_t i = 0; i < n; ++i)
      a.set(i, a.dtype() == ElementType::I1 ? double(gen() & 1) : double(gen() % 8));
    return;
  }
  const double twoPi = 6.283185307179586476925286766559;
  for (int64_t i = 0; i < n; i += 2) {
    double r = std::sqrt(-2.0 * std::log(uniform()));
    double theta = twoPi * uniform();
    a.set(i, scale * r * std::cos(theta));
    if (i + 1 < n)
      a.set(i + 1, scale * r * std::sin(theta));
  }
}

Difference scanrun::compareArrays(const Array &a, const Array &ref,
                                  double rtol, double atol) {
  Difference d;
  bool sawNaN = false;
  for (int64_t i = 0, e = a.numElements(); i < e; ++i) {
    double x = a.get(i), r = ref.get(i);
    bool outside;
    if (!std::isnan(r))
      d.maxRef = std::max(d.maxRef, std::fabs(r));
    if (std::isnan(x) || std::isnan(r)) {
      sawNaN = true;
      ++d.numNaN;
      outside = true;
    } else if (x == r) {
      outside = false;
    } else {
      double abs = std::fabs(x - r);
      double rel = r != 0 ? abs / std::fabs(r) : HUGE_VAL;
      d.maxAbs = std::max(d.maxAbs, abs);
      d.maxRel = std::max(d.maxRel, rel);
      outside = !(abs <= atol + rtol * std::fabs(r));
    }
    if (outside && d.numOutside++ == 0)
      d.firstOutside = i;
  }
  if (sawNaN)
    d.maxAbs = d.maxRel = NAN;
  return d;
}

double scanrun::Difference::normwise() const {
  if (std::isnan(maxAbs) || maxAbs == 0)
    return maxAbs;
  return maxRef > 0 ? maxAbs / maxRef : HUGE_VAL;
}

NonFinite scanrun::countNonFinite(const Array &a) {
  NonFinite n;
  if (!isFloat(a.dtype()))
    return n;
  for (int64_t i = 0, e = a.numElements(); i < e; ++i) {
    double x = a.get(i);
    if (std::isfinite(x))
      continue;
    ++(std::isnan(x) ? n.nan : n.inf);
    if (n.first < 0)
      n.first = i;
  }
  return n;
}

MemRefDescriptor::MemRefDescriptor(Array &a)
    : MemRefDescriptor(a.data(), a.shape()) {}

MemRefDescriptor::MemRefDescriptor(void *data, llvm::ArrayRef<int64_t> shape) {
  int64_t rank = shape.size();
  words.assign(3 + 2 * rank, 0);
  auto ptr = reinterpret_cast<intptr_t>(data);
  words[0] = ptr; // allocated
  words[1] = ptr; // aligned
  words[2] = 0;   // offset
  int64_t stride = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    words[3 + i] = shape[i];
    words[3 + rank + i] = stride;
    stride *= shape[i];
  }
}
