// Umbrella header: the whole public API.
#pragma once

#include "agents/core/error.hpp"
#include "agents/core/status.hpp"
#include "agents/http/http_client.hpp"
