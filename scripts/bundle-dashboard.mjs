// The last step of `npm run build`: bundles the dashboard's page (src/dashboard/client, vega
// included) into dist/dashboard-page, which `nascent dashboard` serves. Runs the compiled bundler
// (dist/dashboard/bundle.js), so the build and an on-the-fly bundle use the same options.
import { writeClientBundle } from '../dist/dashboard/bundle.js';

const files = await writeClientBundle();
console.log(`dashboard bundle: ${files.join(', ')}`);
