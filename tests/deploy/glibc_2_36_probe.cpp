// A deliberately bad ELF for tests/deploy/check_lambda_zip.py --self-test: arc4random is new in
// glibc 2.36, so this executable needs GLIBC_2.36, which provided.al2023 (glibc 2.34) lacks.
#include <stdlib.h>

#include <cstdio>

int main() {
  std::printf("%u\n", arc4random());
  return 0;
}
