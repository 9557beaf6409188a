// Passkey ceremonies of the hosted pages (W3C Web Authentication Level 3). Served by Portcullis
// itself and loaded with the page's CSP nonce: no inline script, no third party.
//
// A page marks its passkey form with data-passkey="register" | "get" | "signin" and the
// server's options (JSON, binary fields in base64url) in data-options. The form posts the
// credential back as JSON in its hidden "credential" field, with the ceremony id the server
// gave; the ceremony state itself never leaves the server.
(function () {
  'use strict';

  function toBuffer(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }

  function creationOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = toBuffer(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBuffer(pk.user.id) });
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = toBuffer(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    return { publicKey: pk };
  }

  function registration(credential) {
    var r = credential.response;
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toText(r.attestationObject),
        clientDataJSON: toText(r.clientDataJSON),
        transports: typeof r.getTransports === 'function' ? r.getTransports() : undefined
      },
      extensions: {}
    });
  }

  function assertion(credential) {
    var r = credential.response;
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toText(r.authenticatorData),
        clientDataJSON: toText(r.clientDataJSON),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null
      },
      extensions: {}
    });
  }

  var form = document.querySelector('form[data-passkey]');
  if (!form) return;
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  var unsupported = document.getElementById('passkey-unsupported');
  if (!supported) {
    if (unsupported) unsupported.hidden = false;
    return;
  }
  var mode = form.getAttribute('data-passkey');
  var options;
  try {
    options = JSON.parse(form.getAttribute('data-options'));
  } catch (e) {
    return;
  }
  // A passkey the server does not know (removed, or from another account database): tell the
  // browser, so it stops offering it (WebAuthn Level 3 signalUnknownCredential).
  var unknown = form.getAttribute('data-unknown-credential');
  if (unknown && typeof PublicKeyCredential.signalUnknownCredential === 'function') {
    PublicKeyCredential.signalUnknownCredential({
      rpId: options.publicKey.rpId,
      credentialId: unknown
    }).catch(function () {});
  }
  var button = form.querySelector('[data-passkey-start]');
  var failed = document.getElementById('passkey-error');
  var field = form.querySelector('input[name=credential]');
  Array.prototype.forEach.call(document.querySelectorAll('[data-passkey-show]'), function (el) {
    el.hidden = false;
  });

  var sent = false;
  function send(json) {
    if (sent) return;
    sent = true;
    field.value = json;
    form.submit();
  }

  // Passkey autofill (conditional mediation) on the sign-in page: the browser offers the
  // passkeys in the username field's suggestions; picking one signs in.
  var pending = null;
  var controller = null;
  if (mode === 'signin' && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function') {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available || sent) return;
      controller = new AbortController();
      var request = requestOptions(options);
      request.mediation = 'conditional';
      request.signal = controller.signal;
      pending = navigator.credentials.get(request).then(function (credential) {
        if (credential) send(assertion(credential));
      }, function () {});
    }, function () {});
  }

  function ceremony() {
    if (mode === 'register') {
      return navigator.credentials.create(creationOptions(options)).then(registration);
    }
    return navigator.credentials.get(requestOptions(options)).then(assertion);
  }

  function start() {
    if (failed) failed.hidden = true;
    button.disabled = true;
    var ready = Promise.resolve();
    if (controller) {
      // Only one WebAuthn request at a time: end the autofill one first.
      controller.abort();
      controller = null;
      ready = pending || ready;
    }
    ready.then(ceremony).then(send, function (e) {
      button.disabled = false;
      if (failed && !(e && e.name === 'AbortError')) failed.hidden = false;
    });
  }

  button.addEventListener('click', start);
  form.addEventListener('submit', function (event) {
    // Enter in the name field: run the ceremony rather than post an empty credential.
    if (!field.value) {
      event.preventDefault();
      if (!button.disabled) start();
    }
  });
})();
