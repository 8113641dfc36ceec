// One line of progress on stderr for the long `table` commands (create, sweep).
#pragma once

#include <unistd.h>

#include <iostream>
#include <string>

namespace agents::cli {

// Progress on a terminal rewrites one line; elsewhere (CI logs, pipes) each step is a line.
class Progress {
 public:
  Progress() : tty_(::isatty(STDERR_FILENO) != 0) {}
  /// A step; `spin` adds a spinner on a terminal (never in a log, where it would make every
  /// poll a new line).
  void step(const std::string& what, bool spin = false) {
    if (tty_) {
      static const char* kSpinner = "|/-\\";
      std::cerr << "\r\033[K" << what << (spin ? std::string(" ") + kSpinner[spins_++ % 4] : "")
                << std::flush;
    } else if (what != last_) {
      std::cerr << what << "\n";
    }
    last_ = what;
  }
  void done(const std::string& what) {
    clear();
    std::cerr << what << "\n";
  }
  /// Removes the step line on a terminal; prints nothing elsewhere.
  void clear() {
    if (tty_) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  bool tty_;
  std::string last_;
  unsigned spins_ = 0;
};

}  // namespace agents::cli
