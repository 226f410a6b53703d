import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './support/agent-proc.js';

// The compose stack cannot be brought up here (no compose plugin, no registry for its images), so
// its file is checked for what matters: the services, the monitoring profile, mounts that exist,
// and no key in it.

interface Compose {
  services: Record<string, { image?: string; build?: unknown; profiles?: string[]; volumes?: string[]; secrets?: string[]; environment?: Record<string, string>; group_add?: string[] }>;
  secrets: Record<string, unknown>;
  volumes: Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  const text = readFileSync(`${REPO}/docker-compose.yml`, 'utf8');
  const compose = parse(text) as Compose;

  it('runs mcpwatch beside litellm, with Prometheus and Grafana in the monitoring profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'litellm', 'mcpwatch', 'prometheus']);
    expect(compose.services.mcpwatch!.build).toBe('.');
    expect(compose.services.prometheus!.profiles).toEqual(['monitoring']);
    expect(compose.services.grafana!.profiles).toEqual(['monitoring']);
    expect(compose.services.mcpwatch!.profiles).toBeUndefined();
  });

  it('mounts the Docker socket read-only and takes the key from a secret', () => {
    const m = compose.services.mcpwatch!;
    expect(m.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:ro');
    expect(m.secrets).toEqual(['litellm_key']);
    expect(Object.keys(compose.secrets)).toEqual(['litellm_key']);
    expect(text).not.toMatch(/sk-[A-Za-z0-9]{6,}/);
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('./')) expect(existsSync(`${REPO}/${src}`), `${name}: ${src}`).toBe(true);
        else if (!src.startsWith('/')) expect(compose.volumes, `${name}: named volume ${src}`).toHaveProperty(src);
      }
    }
  });

  it('provisions the dashboard and the rules that exist', () => {
    const dash = JSON.parse(readFileSync(`${REPO}/config/grafana/dashboards/mcpwatch.json`, 'utf8')) as { uid: string; templating: { list: Array<{ name: string }> } };
    expect(dash.uid).toBe('mcpwatch');
    expect(dash.templating.list.map((v) => v.name)).toEqual(['datasource', 'target', 'container']);
    const prom = parse(readFileSync(`${REPO}/config/prometheus/prometheus.yml`, 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ job_name: string }> };
    expect(prom.scrape_configs.map((s) => s.job_name)).toEqual(['mcpwatch']);
    expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });
});
