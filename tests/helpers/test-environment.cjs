// Jest's node environment plus one thing every test file of a worker shares: parsed YAML (see yaml-memo.ts).
// Jest gives each test file a fresh module registry, so the hub's API documents (hundreds of kB of YAML, parsed
// several times per hub start) would otherwise be parsed again in every file; this map outlives the files.
const { TestEnvironment } = require('jest-environment-node');

/** Source text -> JSON of what it parses to; strings only, so it crosses between the files' realms safely. */
const parsedYaml = new Map();

class SrhubTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__srhubParsedYaml = parsedYaml;
  }
}

module.exports = SrhubTestEnvironment;
