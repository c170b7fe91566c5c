# Logs into an SSH honeypot the way a brute-forcer does: two refused passwords, then one accepted, and a few commands.
# Usage: python ssh_attack.py HOST PORT
import sys, time, paramiko
host, port = sys.argv[1], int(sys.argv[2])
for password in ["root", "123456"]:
    c = paramiko.SSHClient(); c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        c.connect(host, port, username="root", password=password, look_for_keys=False, allow_agent=False, timeout=10)
        print("unexpected success", password)
    except paramiko.AuthenticationException:
        print("refused", password)
    finally:
        c.close()
c = paramiko.SSHClient(); c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect(host, port, username="root", password="hunter2", look_for_keys=False, allow_agent=False, timeout=10)
chan = c.invoke_shell()
for cmd in ["uname -a", "cat /proc/cpuinfo | grep name | wc -l", "exit"]:
    chan.send(cmd + "\n"); time.sleep(0.8)
time.sleep(0.5)
c.close()
print("done")
