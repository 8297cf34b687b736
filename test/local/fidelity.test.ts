import { describeFidelity, LOCAL } from '../suites/fidelity.js';

describeFidelity(LOCAL);
