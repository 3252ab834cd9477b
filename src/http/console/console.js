// The console page's script: takes the emulator's view (src/api/console-view.ts) from the server-sent events of
// console/events, or by polling console/view where EventSource is missing, and draws it. Read-only: it only
// reads. Every value is put in the page as text (textContent), never as HTML, so no name can inject markup.
'use strict';

(() => {
  const content = document.getElementById('content');
  const live = document.getElementById('live');
  const updated = document.getElementById('updated');
  const runtime = document.getElementById('runtime');

  /** An element with attributes (`class`, `data-*`, ...) and children (nodes or strings, as text). */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function statusBadge(status) {
    const value = status ?? 'unknown';
    let tone = 'busy';
    if (value === 'available' || value === 'in-sync') tone = 'ok';
    else if (/fail|incompatible|deleting|deleted|restore-failed/.test(value)) tone = 'bad';
    return h('span', { class: `status ${tone}`, 'data-status': value }, value);
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    // Outside a secure context (the page reached on a non-loopback address) the Clipboard API is absent.
    const field = h('textarea', { readonly: true, class: 'offscreen' }, text);
    document.body.append(field);
    field.select();
    try {
      document.execCommand('copy');
    } finally {
      field.remove();
    }
  }

  function endpointCell(endpoint) {
    if (!endpoint) return h('span', { class: 'subtle' }, '—');
    const button = h('button', { type: 'button', class: 'copy', title: 'Copy the command' }, 'copy');
    button.addEventListener('click', () => {
      copyText(endpoint.command).then(
        () => flash(button, 'copied'),
        () => flash(button, 'select it'),
      );
    });
    return h(
      'span',
      { class: 'endpoint' },
      h('code', { class: 'address' }, `${endpoint.address}:${endpoint.port}`),
      h('code', { class: 'command', 'data-command': endpoint.command }, endpoint.command),
      button,
    );
  }

  function flash(button, text) {
    button.textContent = text;
    setTimeout(() => (button.textContent = 'copy'), 1200);
  }

  function runnerText(runner) {
    if (!runner) return '—';
    if (runner.kind === 'container') return `container ${runner.name} (${runner.id})`;
    if (runner.kind === 'process') return `pid ${runner.pid}, port ${runner.port}`;
    return 'nothing (runtime none)';
  }

  function settingsList(resource) {
    const items = [
      ['engine', resource.engine && `${resource.engine} ${resource.engineVersion ?? ''}`.trim()],
      ['node type', resource.nodeType],
      [
        'parameter group',
        resource.parameterGroup &&
          `${resource.parameterGroup.name}${resource.parameterGroup.status ? ` (${resource.parameterGroup.status})` : ''}`,
      ],
      [
        'security groups',
        resource.securityGroups &&
          (resource.securityGroups.length
            ? resource.securityGroups.map((g) => (g.status ? `${g.id} (${g.status})` : g.id)).join(', ')
            : 'none'),
      ],
      ['subnet group', resource.subnetGroup],
      ['AUTH', resource.authTokenEnabled === undefined ? undefined : resource.authTokenEnabled ? 'on' : 'off'],
      ['in-transit encryption', resource.transitEncryption ? 'on' : undefined],
    ];
    return h(
      'dl',
      { class: 'settings' },
      items
        .filter(([, value]) => value !== undefined && value !== '')
        .map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, value))),
    );
  }

  function table(headings, rows, attributes) {
    return h(
      'table',
      attributes ?? {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headings.map((heading) => h('th', {}, heading)),
        ),
      ),
      h('tbody', {}, rows),
    );
  }

  function clusterCard(cluster) {
    return h(
      'article',
      { class: 'card', 'data-cluster': cluster.id },
      h('h3', {}, cluster.id, ' ', statusBadge(cluster.status)),
      settingsList(cluster),
      cluster.configurationEndpoint &&
        h(
          'p',
          {},
          h('span', { class: 'label' }, 'configuration endpoint '),
          endpointCell(cluster.configurationEndpoint),
        ),
      table(
        ['node', 'status', 'endpoint', 'runs as', 'zone'],
        cluster.nodes.map((node) =>
          h(
            'tr',
            { 'data-node': `${node.clusterId}/${node.nodeId}` },
            h('td', {}, node.nodeId),
            h('td', {}, statusBadge(node.status)),
            h('td', {}, endpointCell(node.endpoint)),
            h('td', { class: 'runner' }, runnerText(node.runner)),
            h('td', {}, node.availabilityZone ?? ''),
          ),
        ),
      ),
    );
  }

  function groupCard(group) {
    const facts = [
      group.clusterMode ? 'cluster mode enabled' : 'cluster mode disabled',
      group.automaticFailover && `automatic failover ${group.automaticFailover}`,
      group.multiAZ && `Multi-AZ ${group.multiAZ}`,
    ].filter(Boolean);
    return h(
      'article',
      { class: 'card', 'data-group': group.id },
      h('h3', {}, group.id, ' ', statusBadge(group.status)),
      group.description && h('p', { class: 'subtle' }, group.description),
      h('p', { class: 'facts' }, facts.join(' · ')),
      settingsList(group),
      group.configurationEndpoint &&
        h('p', {}, h('span', { class: 'label' }, 'configuration endpoint '), endpointCell(group.configurationEndpoint)),
      group.shards.map((shard) =>
        h(
          'section',
          { class: 'shard', 'data-shard': shard.id, 'data-primary': shard.primary },
          h(
            'h4',
            {},
            `shard ${shard.id} `,
            statusBadge(shard.status),
            shard.slots && h('span', { class: 'subtle' }, ` slots ${shard.slots}`),
            shard.primary && h('span', { class: 'primary-name' }, ` primary: ${shard.primary}`),
          ),
          (shard.primaryEndpoint || shard.readerEndpoint) &&
            h(
              'p',
              { class: 'group-endpoints' },
              shard.primaryEndpoint && [
                h('span', { class: 'label' }, 'primary endpoint '),
                endpointCell(shard.primaryEndpoint),
              ],
              shard.readerEndpoint && [
                h('span', { class: 'label' }, ' reader endpoint '),
                endpointCell(shard.readerEndpoint),
              ],
            ),
          table(
            ['member', 'role', 'status', 'endpoint', 'runs as', 'zone'],
            shard.members.map((member) =>
              h(
                'tr',
                {
                  class: member.role === 'primary' ? 'primary' : undefined,
                  'data-member': member.clusterId,
                  'data-role': member.role,
                },
                h('td', {}, `${member.clusterId} / ${member.nodeId}`),
                h('td', { class: 'role' }, member.role),
                h('td', {}, statusBadge(member.status)),
                h('td', {}, endpointCell(member.endpoint)),
                h('td', { class: 'runner' }, runnerText(member.runner)),
                h('td', {}, member.availabilityZone ?? ''),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function serverlessTable(caches) {
    return table(
      ['name', 'status', 'engine', 'endpoint', 'reader endpoint', 'security groups'],
      caches.map((cache) =>
        h(
          'tr',
          { 'data-serverless-cache': cache.name },
          h('td', {}, cache.name),
          h('td', {}, statusBadge(cache.status)),
          h('td', {}, `${cache.engine ?? ''} ${cache.engineVersion ?? ''}`.trim()),
          h('td', {}, endpointCell(cache.endpoint)),
          h('td', {}, endpointCell(cache.readerEndpoint)),
          h('td', {}, cache.securityGroups.map((g) => g.id).join(', ')),
        ),
      ),
    );
  }

  function snapshotTable(snapshots) {
    return table(
      ['name', 'status', 'source', 'of', 'engine', 'node type', 'created'],
      snapshots.map((snapshot) =>
        h(
          'tr',
          { 'data-snapshot': snapshot.name },
          h('td', {}, snapshot.name),
          h('td', {}, statusBadge(snapshot.status)),
          h('td', {}, snapshot.source ?? ''),
          h('td', {}, snapshot.replicationGroupId ?? snapshot.cacheClusterId ?? ''),
          h('td', {}, `${snapshot.engine ?? ''} ${snapshot.engineVersion ?? ''}`.trim()),
          h('td', {}, snapshot.nodeType ?? ''),
          h('td', {}, snapshot.createdAt ? new Date(snapshot.createdAt).toLocaleString() : ''),
        ),
      ),
    );
  }

  function eventTable(events) {
    return table(
      ['time', 'source', 'message'],
      events.map((event) =>
        h(
          'tr',
          {},
          h('td', { class: 'time' }, new Date(event.date).toLocaleTimeString()),
          h('td', {}, `${event.sourceType} ${event.sourceId}`),
          h('td', {}, event.message),
        ),
      ),
      { class: 'events' },
    );
  }

  function scopeSection(scope) {
    const parts = [h('h2', {}, `account ${scope.account} · ${scope.region}`)];
    if (scope.replicationGroups.length) {
      parts.push(h('h3', { class: 'kind' }, 'Replication groups'), scope.replicationGroups.map(groupCard));
    }
    if (scope.cacheClusters.length) {
      parts.push(h('h3', { class: 'kind' }, 'Cache clusters'), scope.cacheClusters.map(clusterCard));
    }
    if (scope.serverlessCaches.length) {
      parts.push(h('h3', { class: 'kind' }, 'Serverless caches'), serverlessTable(scope.serverlessCaches));
    }
    if (scope.snapshots.length) parts.push(h('h3', { class: 'kind' }, 'Snapshots'), snapshotTable(scope.snapshots));
    if (scope.events.length) parts.push(h('h3', { class: 'kind' }, 'Recent events'), eventTable(scope.events));
    return h('section', { class: 'scope', 'data-account': scope.account, 'data-region': scope.region }, parts);
  }

  function render(view) {
    runtime.textContent = view.runtime;
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    const sections = view.scopes.map(scopeSection);
    if (sections.length === 0) {
      sections.push(
        h('p', { class: 'empty' }, 'Nothing yet: create a cache cluster or a replication group and it shows here.'),
      );
    }
    content.replaceChildren(...sections);
  }

  function setLive(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function poll() {
    fetch('console/view', { cache: 'no-store' })
      .then((response) => response.json())
      .then((view) => {
        render(view);
        setLive('live', 'live (polling)');
      })
      .catch(() => setLive('lost', 'emulator not answering'))
      .finally(() => setTimeout(poll, 1000));
  }

  if (typeof EventSource === 'function') {
    const source = new EventSource('console/events');
    source.onopen = () => setLive('live', 'live');
    source.onmessage = (message) => render(JSON.parse(message.data));
    // EventSource reconnects by itself; the page says so meanwhile.
    source.onerror = () => setLive('lost', 'reconnecting…');
  } else {
    poll();
  }
})();
