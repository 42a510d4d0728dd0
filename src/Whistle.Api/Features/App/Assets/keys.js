// The admin's desk issues keys: the link it shows carries the key in its fragment, so the phone that
// opens it is signed in and the key never reaches a server's log.

import { api, ApiError, describeProblem, newId, base } from './common.js?v={{version}}';

// ---- An admin issues a key: the link carries it in its fragment (never sent to a server) ----------------
/** Shows the admin's form that issues a key and the sign-in link carrying it. */
export function wireCredentials() {
  const section = document.getElementById('issue-key');
  section.hidden = false;
  const form = document.getElementById('credential-form');
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const error = form.querySelector('.error');
    const body = { role: form.elements.role.value };
    for (const name of ['name', 'departmentCode', 'communityCode', 'streetCode']) {
      if (form.elements[name].value.trim()) body[name] = form.elements[name].value.trim();
    }
    const gridCodes = form.elements.gridCodes.value.split(/[\s,]+/).filter(Boolean);
    if (gridCodes.length) body.gridCodes = gridCodes;
    try {
      const { body: created } = await api('/credentials', { method: 'POST', body, headers: { 'Idempotency-Key': newId() }, conditional: false });
      const page = body.role === 'grid-worker' ? '/app/' : '/app/desk';
      document.getElementById('issued').hidden = false;
      const link = document.getElementById('issued-link');
      link.value = `${location.origin}${base}${page}#key=${encodeURIComponent(created.key)}`;
      link.select();
      error.textContent = '';
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? describeProblem(failure.problem) : failure.message;
    }
  });
}
