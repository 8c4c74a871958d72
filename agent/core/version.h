#pragma once
// The agent's version, from CMake's project(VERSION ...), the single source of truth.
#include "core/version_info.h"
