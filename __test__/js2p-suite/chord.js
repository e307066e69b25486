'use strict';
// Shim: js2p's test_chord.js does require('../chord.js'); here that is polyp2p's compat layer.
module.exports = require('../../dist/compat/chord.js');
