"""Item 16: LibreOffice conversions are bounded across processes; the overflow gets 503 + Retry-After."""
from __future__ import annotations

import sys
import threading
import time

import pytest

from app.services import pdf


def test_slots_bound_concurrency_and_refuse_overflow(tmp_path):
    """6 callers, 1 slot, queue 2, short wait: never more than one inside, the overflow refused at once."""
    inside, peak, busy, done = [0], [0], [], []
    lock = threading.Lock()

    def worker():
        try:
            with pdf.slot(tmp_path, concurrency=1, queue=2, wait_seconds=5, poll=0.02):
                with lock:
                    inside[0] += 1
                    peak[0] = max(peak[0], inside[0])
                time.sleep(0.3)
                with lock:
                    inside[0] -= 1
            done.append(1)
        except pdf.ConversionBusy as exc:
            busy.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1
    assert len(done) == 3 and len(busy) == 3  # 1 running + 2 queued; 3 refused
    assert busy[0].status == 503 and busy[0].headers["Retry-After"].isdigit()
    assert busy[0].message == "PDF変換が混み合っています。しばらくしてから再度お試しください。"


def test_queued_request_gives_up_after_wait(tmp_path):
    with pdf.slot(tmp_path, concurrency=1, queue=1, wait_seconds=10):
        t0 = time.monotonic()
        with pytest.raises(pdf.ConversionBusy), pdf.slot(tmp_path, concurrency=1, queue=1, wait_seconds=0.3,
                                                         poll=0.05):
            pass
        assert 0.25 < time.monotonic() - t0 < 3
    with pdf.slot(tmp_path, concurrency=1, queue=0, wait_seconds=0):  # freed again
        pass


def test_timeout_kills_the_whole_process_group(tmp_path):
    marker = tmp_path / "child-alive"
    # The converter forks a grandchild (as soffice does) that would write a file after 2 s.
    script = (f"import subprocess,sys; subprocess.Popen([sys.executable,'-c',"
              f"\"import time; time.sleep(2); open(r'{marker}','w').write('x')\"]); import time; time.sleep(30)")
    t0 = time.monotonic()
    with pytest.raises(pdf.ConversionFailed):
        pdf.run_converter([sys.executable, "-c", script], timeout=0.5)
    assert time.monotonic() - t0 < 5
    time.sleep(2.5)
    assert not marker.exists()
