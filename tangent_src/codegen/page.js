// The page's behaviour (tangent_src/codegen/html.py copies this file into every page).
// Hover: a line and its partners are highlighted while the pointer is on it, then the pinned
// selection (the last click, or the address) comes back. Click a primal line: the derivative
// pane scrolls to the first group of lines made from it, the rule's lines (reverse sweep) first,
// the primal copies (forward sweep) last; each further click on it goes to the next group.
(function () {
  'use strict';
  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  var pinned = null;   // the line chosen by a click or by the address
  var hovered = null;  // the line under the pointer
  var shown = null;    // {line, group, of, run}: the group of derivative lines the last click on a primal line went to

  function partners(line) {
    var origin = line.getAttribute('data-from');
    if (origin) {  // a derivative line: its primal line, and the derivative lines that share it
      var primal = document.getElementById(origin);
      return (primal ? [primal] : []).concat(all('[data-from="' + origin + '"]').filter(function (e) { return e !== line; }));
    }
    return all('[data-from="' + line.id + '"]');  // a primal line: every derivative line made from it
  }
  function draw() {
    all('.active, .partner, .current').forEach(function (e) { e.classList.remove('active', 'partner', 'current'); });
    var line = hovered || pinned;
    var where = document.getElementById('where');
    if (where) { where.textContent = ''; }
    if (!line) { return; }
    line.classList.add('active');
    partners(line).forEach(function (e) { e.classList.add('partner'); });
    if (shown && shown.line === line) {
      shown.run.forEach(function (e) { e.classList.add('current'); });
      if (where) {
        where.textContent = '(line ' + line.id.replace(/^.*p/, '') + ': ' + (shown.run[0].getAttribute('data-role') === 'primal'
          ? 'its primal value' : 'its rule\u2019s lines') + ', group ' + (shown.group + 1) + ' of ' + shown.of + ')';
      }
    }
  }
  function reveal(e) {  // scroll e's pane (not the page) so that e is a third of the way down
    var box = e && e.closest('.code');
    if (!box) { return; }
    box.scrollTop += e.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
  }
  function groups(line) {  // the runs of consecutive derivative lines made from a primal line: rule's lines first
    var runs = [];
    all('#derivative [data-from="' + line.id + '"]').forEach(function (e) {
      var last = runs.length ? runs[runs.length - 1] : null;
      var tail = last ? last[last.length - 1] : null;
      if (tail && tail.nextElementSibling === e && tail.getAttribute('data-role') === e.getAttribute('data-role')) {
        last.push(e);
      } else {
        runs.push([e]);
      }
    });
    function rank(run) { return run[0].getAttribute('data-role') === 'primal' ? 1 : 0; }
    return runs.map(function (run, k) { return [rank(run), k, run]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).map(function (x) { return x[2]; });
  }
  function choose(line, again) {  // a click, or the address
    var runs = line.getAttribute('data-from') ? [] : groups(line);
    var next = again && shown && shown.line === line ? (shown.group + 1) % runs.length : 0;
    shown = runs.length ? {line: line, group: next, of: runs.length, run: runs[next]} : null;
    pinned = line;
    hovered = null;
    draw();
    if (shown) {
      reveal(shown.run[0]);
    } else {
      var first = partners(line).filter(function (e) { return e.closest('#primal'); })[0];
      reveal(first);
    }
  }
  all('.line.linked').forEach(function (line) {
    line.addEventListener('mouseenter', function () { hovered = line; draw(); });
    line.addEventListener('mouseleave', function () { if (hovered === line) { hovered = null; draw(); } });
    line.addEventListener('click', function (event) {
      if (event.target.closest && event.target.closest('a')) { return; }
      history.replaceState(null, '', '#' + line.id);
      choose(line, true);
    });
  });
  all('a.ref').forEach(function (link) {  // a name in the code: to a function's def line, or to a helper
    link.addEventListener('click', function (event) {
      var target = document.getElementById(link.getAttribute('href').slice(1));
      if (!target || !target.classList.contains('line')) { return; }  // (a helper: the browser goes there)
      event.preventDefault();
      event.stopPropagation();
      history.replaceState(null, '', '#' + target.id);
      pinned = target; shown = null; hovered = null; draw(); reveal(target);
    });
  });
  function fromHash() {
    var line = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (!line || !line.classList.contains('line')) { return; }
    choose(line, false);
    reveal(line);
    window.scrollTo(0, 0);  // undo the browser's own jump to the fragment: the panes scroll instead
  }
  window.addEventListener('hashchange', fromHash);
  window.addEventListener('load', function () { setTimeout(fromHash, 0); });  // after the browser's own jump
  fromHash();
})();
