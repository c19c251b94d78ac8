
// Wit2> {
    scan.yield  {
    scan.y
}

