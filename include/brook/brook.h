// brook: the one header an application includes.
#pragma once

#include "brook/config.h"
#include "brook/json.h"
#include "brook/kafka_streams.h"
#include "brook/key_value_store.h"
#include "brook/processor.h"
#include "brook/record.h"
#include "brook/serde.h"
#include "brook/streams_builder.h"
#include "brook/time.h"
#include "brook/topology.h"
#include "brook/windows.h"
