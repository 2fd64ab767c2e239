#!/usr/bin/env node
// terms-check: answer a decision from a bundle, as `terms check` does: the same options, the
// same output records, the same exit codes, so either can stand in for the other in a pipeline.
import { main } from "../src/cli.js";

process.exitCode = await main(process.argv.slice(2));
