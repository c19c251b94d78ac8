//===- scan-opt.cpp - mlir-opt with the scan dialect ------------*- C++ -*-===//
//
// The MlirOptMain driver with every upstream dialect, extension and pass, plus
// everything scan-mlir provides: all of mlir-opt's flags work unchanged.
//
//===----------------------------------------------------------------------===//

#include "scan/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::scan::registerAllScanPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::scan::registerAllScanDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "scan-mlir optimizer driver\n", registry));
}
