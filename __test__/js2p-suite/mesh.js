'use strict';
// Shim: js2p's test_mesh.js does require('../mesh.js'); here that is polyp2p's compat layer.
module.exports = require('../../dist/compat/mesh.js');
