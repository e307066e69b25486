'use strict';
// Shim: js2p's own test files do require('../base.js'); here that is polyp2p's compat layer.
module.exports = require('../../dist/compat/base.js');
