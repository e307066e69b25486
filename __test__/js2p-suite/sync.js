'use strict';
// Shim: js2p's test_sync.js does require('../sync.js'); here that is polyp2p's compat layer.
module.exports = require('../../dist/compat/sync.js');
