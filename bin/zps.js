#!/usr/bin/env node
// The entry point of the documented layout. package.json runs zps.cjs, which starts faster (see there).
import './zps.cjs';
