// The raw programs brook-bench-pipeline measures brook against: librdkafka
// with brook's client loop (RawLoop), each returning the seconds it took to
// consume its input (see raw_pipelines.cc).
#pragma once

#include <string>

#include "bench/pipeline_common.h"

namespace brook::bench {

// consume -> produce, records copied untouched, to `output`.
double run_raw_pipe(const Options& o, const std::string& group, const std::string& output);
// The raw pipe writing `hop`, which it reads back (as a repartition topic).
double run_raw_two_hop(const Options& o, const std::string& group, const std::string& hop);
// Parse, fold per product in a hash map, write the changed totals to `output`
// every 100 ms.
double run_raw_fold(const Options& o, const std::string& group, const std::string& output);

}  // namespace brook::bench
