import { parseRestartReport, RESTART_REPORT_LIMITS } from './restart-report';
import { inDeployment } from './deployment-shell';

const at = new Date('2026-12-02T12:00:00Z');

describe('parseRestartReport', () => {
  it('reads the reboot flag and groups replaced libraries by process', () => {
    const out =
      'reboot-required\nstale\t812\tnginx\t/usr/lib/x86_64-linux-gnu/libssl.so.3\nstale\t812\tnginx\t/usr/lib/x86_64-linux-gnu/libcrypto.so.3\nstale\t90\tsshd\t/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n';
    expect(parseRestartReport(out, at)).toEqual({
      rebootRequired: true,
      truncated: false,
      at: at.toISOString(),
      staleProcesses: [
        { pid: 90, command: 'sshd', libraries: ['/usr/lib/x86_64-linux-gnu/libcrypto.so.3'] },
        { pid: 812, command: 'nginx', libraries: ['/usr/lib/x86_64-linux-gnu/libssl.so.3', '/usr/lib/x86_64-linux-gnu/libcrypto.so.3'] },
      ],
    });
  });

  it('reports nothing stale for empty output', () => {
    expect(parseRestartReport('', at)).toEqual({ rebootRequired: false, staleProcesses: [], truncated: false, at: at.toISOString() });
  });

  it('ignores lines that are not the format and strips control characters a host sends', () => {
    const out = 'stale\tabc\tx\t/lib/a.so\nstale\t1\tx\trelative.so\nnoise\nstale\t7\tev\x1b[31mil\t/lib/b.so\n';
    expect(parseRestartReport(out, at).staleProcesses).toEqual([{ pid: 7, command: 'ev[31mil', libraries: ['/lib/b.so'] }]);
  });

  it('keeps a bounded number of processes and says so', () => {
    const out = Array.from({ length: RESTART_REPORT_LIMITS.processes + 5 }, (_, i) => `stale\t${i + 1}\tp\t/lib/x.so`).join('\n');
    const report = parseRestartReport(out, at);
    expect(report.staleProcesses).toHaveLength(RESTART_REPORT_LIMITS.processes);
    expect(report.truncated).toBe(true);
  });
});

describe('inDeployment', () => {
  it('sets VZ_DEPLOYMENT_ID inside the shell before the command', () => {
    expect(inDeployment('0b7c3c1e-5d0e-4b8e-9a4f-1f2e3d4c5b6a', 'echo "$VZ_DEPLOYMENT_ID"')).toBe(
      `VZ_DEPLOYMENT_ID='0b7c3c1e-5d0e-4b8e-9a4f-1f2e3d4c5b6a'; export VZ_DEPLOYMENT_ID; echo "$VZ_DEPLOYMENT_ID"`,
    );
  });

  it('refuses anything but a deployment id', () => {
    expect(() => inDeployment("x'; id; '", 'true')).toThrow(RangeError);
  });
});
