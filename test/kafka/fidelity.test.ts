import { describeFidelity, describeOtherClients, KAFKA } from '../suites/fidelity.js';

describeFidelity(KAFKA);
describeOtherClients();
