// Waits until the cluster at args[0] answers metadata with args[1] brokers, or
// args[2] seconds pass (exit 1). Run as a single source file by scripts/kafka.sh.
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class WaitReady {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    int want = Integer.parseInt(args[1]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
    try (Admin admin = Admin.create(p)) {
      while (System.currentTimeMillis() < deadline) {
        try {
          int n = admin.describeCluster().nodes().get().size();
          if (n >= want) return;
        } catch (Exception e) {
          // not up yet
        }
        Thread.sleep(200);
      }
    }
    System.err.println("kafka.sh: the cluster at " + args[0] + " did not answer with " + want + " brokers");
    System.exit(1);
  }
}
