"""mmvmt/visualization/review_page.py in a real browser: headless Chromium opens a report
from disk, shows its rows, thumbnails and filters, takes mouse clicks on accept / reject
and downloads the decisions, which apply_review then merges.

Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe`` (it reads
commands on fd 3 and writes replies on fd 4, NUL-terminated JSON): no Python package is
needed. Skipped where no Chromium is installed; CI installs Debian's ``chromium``.
"""
import json
import os
import select
import shutil
import subprocess
import time

import pytest

from mmvmt.engine import apply_review
from mmvmt.visualization.review_report import write_review_report

CHROMIUM = next((shutil.which(n) for n in ('chromium', 'chromium-browser', 'google-chrome')
                 if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason='needs Chromium (Debian package '
                                '"chromium"; CI installs it) for the browser test')


class DevTools:
    """A minimal DevTools protocol client over Chromium's debugging pipe."""

    def __init__(self, profile: str):
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()

        def pipes_to_3_and_4():
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu',
             '--disable-background-networking', '--remote-debugging-pipe',
             '--window-size=1600,1200', f'--user-data-dir={profile}', 'about:blank'],
            preexec_fn=pipes_to_3_and_4, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self._buffer, self._next_id, self.session = b'', 0, None

    def send(self, method: str, timeout: float = 10, **params) -> dict:
        self._next_id += 1
        message = dict(id=self._next_id, method=method, params=params)
        if self.session is not None and not method.startswith(('Target.', 'Browser.')):
            message['sessionId'] = self.session
        os.write(self._cmd_w, json.dumps(message).encode() + b'\0')
        deadline = time.monotonic() + timeout
        while True:
            while b'\0' not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._res_r], [], [], left)[0]:
                    raise TimeoutError(f'no reply from Chromium to {method}')
                chunk = os.read(self._res_r, 1 << 16)
                if not chunk:
                    raise RuntimeError('Chromium closed the debugging pipe')
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b'\0', 1)
            reply = json.loads(raw)
            if reply.get('id') == self._next_id:
                if 'error' in reply:
                    raise RuntimeError(f'{method}: {reply["error"]}')
                return reply['result']

    def evaluate(self, expression: str):
        result = self.send('Runtime.evaluate', expression=expression, awaitPromise=True,
                           returnByValue=True)
        if 'exceptionDetails' in result:
            raise RuntimeError(f'{expression}: {result["exceptionDetails"]}')
        return result['result'].get('value')

    def wait_for(self, expression: str, timeout: float = 10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f'never true: {expression}')

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the centre of the element."""
        x, y = self.evaluate(f'(() => {{ const e = document.querySelector({selector!r}); '
                             'e.scrollIntoView({block: "center"}); '
                             'const r = e.getBoundingClientRect(); '
                             'return [r.x + r.width / 2, r.y + r.height / 2]; })()')
        for kind in ('mousePressed', 'mouseReleased'):
            self.send('Input.dispatchMouseEvent', type=kind, x=x, y=y, button='left',
                      clickCount=1)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self._cmd_w)
        os.close(self._res_r)


@pytest.fixture
def browser(tmp_path):
    client = DevTools(str(tmp_path / 'profile'))
    yield client
    client.close()


def test_review_page_in_chromium(review_case, browser, tmp_path):
    report = tmp_path / 'report'
    write_review_report(review_case['coarse'], review_case['corrected'], review_case['img'],
                        str(report), progress=False)
    target = browser.send('Target.createTarget', url=(report / 'index.html').as_uri())
    browser.session = browser.send('Target.attachToTarget', targetId=target['targetId'],
                                   flatten=True)['sessionId']
    downloads = tmp_path / 'downloads'
    downloads.mkdir()
    browser.send('Browser.setDownloadBehavior', behavior='allow',
                 downloadPath=str(downloads))
    browser.wait_for('document.readyState === "complete" && '
                     'document.querySelectorAll("tr.track").length > 0')
    ids = browser.evaluate('[...document.querySelectorAll("tr.track")].map(r => r.dataset.id)')
    assert ids == ['9', '7', '11']  # sorted by pixels changed
    # Every thumbnail decodes: 3 changed frames of track 9, 2 of track 7, none of 11.
    widths = browser.wait_for(
        'Promise.all([...document.images].map(i => i.complete ? i : new Promise(r => '
        '{ i.onload = i.onerror = () => r(i); }))).then(im => im.length === 5 && '
        'im.map(i => i.naturalWidth))')
    assert len(widths) == 5 and all(w > 0 for w in widths)
    # Filters: one video; more than 20 pixels changed; then all again.
    browser.evaluate('(() => { const s = document.getElementById("f-video"); s.value = "2"; '
                     's.dispatchEvent(new Event("input")); })()')
    assert browser.evaluate('[...document.querySelectorAll("tr.track")].map(r => '
                            'r.dataset.id)') == ['11']
    browser.evaluate('(() => { document.getElementById("f-video").value = ""; '
                     'const m = document.getElementById("f-min"); m.value = "20"; '
                     'm.dispatchEvent(new Event("input")); })()')
    assert browser.evaluate('[...document.querySelectorAll("tr.track")].map(r => '
                            'r.dataset.id)') == ['9']
    assert 'page 1 / 1 (1 tracks)' in browser.evaluate(
        'document.getElementById("page-info").textContent')
    browser.evaluate('(() => { const m = document.getElementById("f-min"); m.value = ""; '
                     'm.dispatchEvent(new Event("input")); })()')
    # Decisions by mouse: accept track 9, reject track 7 but accept its frame 2.
    browser.click('tr.track[data-id="9"] button.accept')
    browser.click('tr.track[data-id="7"] button.reject')
    browser.click('tr.track[data-id="7"] .frame[data-t="2"] button.faccept')
    assert browser.evaluate('document.querySelector(\'tr.track[data-id="9"]\').className') \
        == 'track accept'
    assert browser.evaluate('document.getElementById("summary").textContent') == \
        '1 accepted, 1 rejected, 1 frame decisions'
    built = browser.evaluate('buildDecisions()')
    assert built['tracks'] == {'9': 'accept', '7': {'decision': 'reject',
                                                   'frames': {'2': 'accept'}}}
    browser.click('#download')
    path = downloads / 'decisions.json'
    deadline = time.monotonic() + 10
    while not path.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(path.read_text()) == built
    merged_file = tmp_path / 'merged.json'
    apply_review(review_case['coarse'], review_case['corrected'], str(path), str(merged_file))
    merged = {a['id']: a for a in json.loads(merged_file.read_text())['annotations']}
    coarse = {a['id']: a for a in json.load(open(review_case['coarse']))['annotations']}
    corrected = {a['id']: a for a in json.load(open(review_case['corrected']))['annotations']}
    assert merged[9] == corrected[9] and merged[11] == coarse[11]
    assert merged[7]['segmentations'] == [coarse[7]['segmentations'][0], None,
                                          corrected[7]['segmentations'][2]]
