#!/usr/bin/python3
"""webseed.py FILE URL OUTDIR SECONDS - download FILE as a BitTorrent client whose
only source is the web seed URL (BEP 19 url-list), with libtorrent (Debian
python3-libtorrent; run by Debian's /usr/bin/python3).

A torrent is made for FILE (libtorrent hashes every piece with SHA-1), its url-list
set to URL (a URL ending in '/' gets the file's name appended by libtorrent), and a
session with no DHT, LSD, UPnP, NAT-PMP or other peers downloads it to OUTDIR.
libtorrent checks each piece it gets against the torrent's hash. Prints progress
lines and "webseed: seeding after N.N s" once the whole file is there and verified;
exit 0 then, 1 when SECONDS pass first (with the torrent's last state).
"""
import os
import sys
import time

import libtorrent as lt


def torrent_for(path, url):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, 256 * 1024)
    t.add_url_seed(url)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    return lt.torrent_info(lt.bencode(t.generate()))


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 64
    path, url, out, secs = argv[1], argv[2], argv[3], float(argv[4])
    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False,
        "alert_mask": lt.alert_category.error | lt.alert_category.status,
    })
    atp = lt.add_torrent_params()
    atp.ti = torrent_for(path, url)
    atp.save_path = out
    h = ses.add_torrent(atp)
    t0 = time.monotonic()
    last = -1
    while time.monotonic() - t0 < secs:
        st = h.status()
        if st.is_seeding:
            print("webseed: seeding after %.1f s" % (time.monotonic() - t0))
            return 0
        if st.num_pieces != last:
            last = st.num_pieces
            print("webseed: %s, %d of %d pieces" % (st.state, st.num_pieces, atp.ti.num_pieces()), flush=True)
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if a.category() & lt.alert_category.error:
                print("webseed: alert: %s" % a.message(), flush=True)
    st = h.status()
    print("webseed: not seeding after %d s: %s, %d of %d pieces, error %r" %
          (secs, st.state, st.num_pieces, atp.ti.num_pieces(), st.errc.message()))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
