/**
 * PM2 recipe: the customer bot as one app, next to the website's. Either start this file
 * (`pm2 start deploy/ecosystem.config.cjs`, from the bot's folder or anywhere), or copy the
 * app entry below into the website's ecosystem.config.cjs with `cwd` set to the bot's folder
 * (e.g. "/opt/compucar-customer-bot"). Commands and install steps: README, "### Deployment".
 *
 * Secrets stay out of PM2: the service reads `.env` in its folder itself (mode 0600), so
 * neither `pm2 show`, `pm2 env` nor PM2's dump file (`pm2 save`) contains the token or keys.
 * test/deploy.pm2.test.ts checks this entry against package.json's `npm start`.
 */
const path = require("node:path");

module.exports = {
  apps: [
    {
      name: "compucar-customer-bot",
      // The bot's folder: holds package.json, dist/ (built by `npm run build`) and .env.
      cwd: path.resolve(__dirname, ".."),
      // What `npm start` runs, without npm in between: PM2's signals reach the service.
      script: "dist/main.mjs",
      args: ["start"],
      interpreter: "node",
      node_args: [
        "--max-semi-space-size=2",
        "--max-old-space-size=96",
        "--liftoff-only",
        "--v8-pool-size=1",
        "--enable-source-maps",
      ],
      // Node maps stack traces itself (--enable-source-maps); PM2's wrapper would do it again.
      source_map_support: false,
      // One process: with several instances in polling mode one polls and the others stand
      // by (an advisory lock); a second instance is for failover, not for throughput.
      exec_mode: "fork",
      instances: 1,
      env: { NODE_ENV: "production" },
      // A PM2 running as root (the shop's website guide) can drop to the bot's own user;
      // delete these two lines when PM2 runs as an ordinary user.
      uid: "compucar-bot",
      gid: "compucar-bot",
      // The service stops within 10 s of SIGINT (finishes the sends in flight); PM2's
      // default is 1.6 s, then SIGKILL.
      kill_timeout: 15_000,
      // Restart forever, waiting 1 s, then 1.5 times longer each time up to 15 s (reset
      // after 30 s up): a database or network outage is waited for, not given up on.
      autorestart: true,
      exp_backoff_restart_delay: 1_000,
      // The heap is capped at 96 MB (node_args); RSS peaks at 100-126 MB while draining a
      // backlog of 100,000 events (docs/benchmarks.md). Above 200 MB something leaks.
      max_memory_restart: "200M",
      // One file per stream whatever the instance count. The service writes JSON lines
      // (pino); no log_date_format or log_type here, which would wrap or prefix them.
      merge_logs: true,
      time: false,
      watch: false,
    },
  ],
};
