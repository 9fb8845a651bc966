// CPU and memory use of the new pods against their limits (metrics.k8s.io): over
// verification.resourceWarnFraction is a warning, or a failure with resourceFailOnExceed.
import { errText, type AfterCheck } from './check';

export const resources: AfterCheck<'cluster'> = {
  name: 'resources',
  phase: 'after',
  needs: ['cluster'],
  async run({ run: s, observed }, ctx) {
    const v = s.settings.config.verification;
    const d = await observed.deployment();
    if (!d.ok) return { status: 'warning', detail: `cannot read resource usage: ${d.error}` };
    try {
      const usage = await ctx.ports.cluster.podUsage(s.target.env.namespace, d.value.selector, ctx.signal);
      if (usage.length === 0) return { status: 'skipped', detail: 'metrics.k8s.io reports no usage (metrics-server not available?)' };
      const over: string[] = [];
      let maxCpu = 0;
      let maxMem = 0;
      for (const u of usage) {
        const cpu = u.cpuLimitMillicores ? u.cpuMillicores / u.cpuLimitMillicores : 0;
        const mem = u.memoryLimitBytes ? u.memoryBytes / u.memoryLimitBytes : 0;
        maxCpu = Math.max(maxCpu, cpu);
        maxMem = Math.max(maxMem, mem);
        if (cpu > v.resourceWarnFraction) over.push(`${u.pod} CPU ${u.cpuMillicores}m of ${u.cpuLimitMillicores}m`);
        if (mem > v.resourceWarnFraction) over.push(`${u.pod} memory ${Math.round(u.memoryBytes / 2 ** 20)}Mi of ${Math.round(u.memoryLimitBytes! / 2 ** 20)}Mi`);
      }
      if (over.length) return { status: v.resourceFailOnExceed ? 'failed' : 'warning', detail: `over ${(v.resourceWarnFraction * 100).toFixed(0)}% of the limit: ${over.join(', ')}` };
      return { status: 'passed', detail: `peak CPU ${(maxCpu * 100).toFixed(0)}%, memory ${(maxMem * 100).toFixed(0)}% of limits over ${usage.length} pods` };
    } catch (err) {
      return { status: 'warning', detail: `cannot read resource usage: ${errText(err)}` };
    }
  },
};
