// Every command a deployment runs on a host sees the deployment's id as
// VZ_DEPLOYMENT_ID, set inside the shell that runs the command (so it also
// holds under `sudo sh -c`, which resets the environment). A package patch
// keeps its captured .deb files and its plan under
// /var/lib/vulnzero/deployments/$VZ_DEPLOYMENT_ID; a hand-written patch may
// use it the same way. Records keep the command as the patch wrote it.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function inDeployment(deploymentId: string, command: string): string {
  // Our own ids, and still checked: the text goes into a shell.
  if (!UUID.test(deploymentId)) throw new RangeError(`not a deployment id: ${JSON.stringify(deploymentId)}`);
  return `VZ_DEPLOYMENT_ID='${deploymentId}'; export VZ_DEPLOYMENT_ID; ${command}`;
}
