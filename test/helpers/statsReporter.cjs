// Mocha's spec reporter, plus the run's totals appended to the file named by
// BERTH_TEST_STATS, so scripts/run-tests.mjs can print one closing line for all tiers.
const fs = require('node:fs');
const Mocha = require('mocha');

class StatsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.BERTH_TEST_STATS;
      if (!file) return;
      const { passes, failures, pending } = runner.stats ?? this.stats;
      fs.appendFileSync(file, `${JSON.stringify({ tier: process.env.BERTH_TEST_TIER ?? '', passes, failures, pending })}\n`);
    });
  }
}
module.exports = StatsReporter;
