// Container HEALTHCHECK for the VulnZero image (plain Node, no dependencies).
// Gateway: GET /health/live on PORT. Worker: GET /health/live on METRICS_PORT,
// or nothing to probe when the worker runs without a metrics listener.
'use strict';
const http = require('node:http');

const app = process.env.VULNZERO_APP || 'gateway';
const port = app === 'worker' ? process.env.METRICS_PORT : process.env.PORT || '3000';
if (app === 'worker' && !port) process.exit(0);

const request = http.get({ host: '127.0.0.1', port: Number(port), path: '/health/live', timeout: 4000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', (error) => {
  process.stderr.write(`healthcheck: ${error.message}\n`);
  process.exit(1);
});
