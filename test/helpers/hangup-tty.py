# Runs a command on a pseudo-terminal: what this script reads on stdin is typed on the terminal, what
# the terminal shows is copied to stdout. At the end of stdin it hangs the terminal up (closes it, as
# a closed window or a dropped ssh session does), then prints, last, how the command ended:
# "exit N" or "signal N".
# Usage: python3 hangup-tty.py <command> [args...]
import os
import pty
import select
import sys

pid, terminal = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
typing = sys.stdin.fileno()
while True:
    ready, _, _ = select.select([terminal, typing], [], [])
    if terminal in ready:
        try:
            shown = os.read(terminal, 65536)
        except OSError:
            shown = b''
        if not shown:
            break  # the command ended first
        os.write(1, shown)
    if typing in ready:
        keys = os.read(typing, 65536)
        if not keys:
            break
        os.write(terminal, keys)
os.close(terminal)
_, status = os.waitpid(pid, 0)
ending = 'signal %d' % os.WTERMSIG(status) if os.WIFSIGNALED(status) else 'exit %d' % os.WEXITSTATUS(status)
os.write(1, ('\n' + ending + '\n').encode())
