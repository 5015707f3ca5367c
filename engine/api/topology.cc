#include "brook/topology.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <sstream>

namespace brook {

void Topology::add_node(NodeDef def) {
  if (def.name.empty()) throw TopologyError("a node needs a name");
  if (index_.count(def.name)) throw TopologyError("node name '" + def.name + "' is used twice");
  if (def.kind == NodeKind::kSource) {
    if (def.topics.empty()) throw TopologyError("source '" + def.name + "' has no topic");
    if (!def.predecessors.empty()) throw TopologyError("source '" + def.name + "' has parents");
  } else if (def.predecessors.empty()) {
    throw TopologyError("node '" + def.name + "' has no parent");
  }
  for (const std::string& p : def.predecessors) {
    auto it = index_.find(p);
    if (it == index_.end()) {
      throw TopologyError("parent '" + p + "' of node '" + def.name + "' does not exist");
    }
    NodeDef& parent = nodes_[it->second];
    if (parent.kind == NodeKind::kSink) {
      throw TopologyError("sink '" + p + "' cannot be the parent of '" + def.name + "'");
    }
    parent.successors.push_back(def.name);
  }
  index_[def.name] = nodes_.size();
  nodes_.push_back(std::move(def));
}

Topology& Topology::add_state_store(StoreDef store, const std::vector<std::string>& processors) {
  if (find_store(store.name)) throw TopologyError("store '" + store.name + "' is added twice");
  stores_.push_back(store);
  for (const std::string& p : processors) connect_processor_and_store(p, store.name);
  return *this;
}

Topology& Topology::connect_processor_and_store(const std::string& processor,
                                                const std::string& store) {
  auto it = index_.find(processor);
  if (it == index_.end()) throw TopologyError("processor '" + processor + "' does not exist");
  if (!find_store(store)) throw TopologyError("store '" + store + "' does not exist");
  auto& stores = nodes_[it->second].stores;
  if (std::find(stores.begin(), stores.end(), store) == stores.end()) stores.push_back(store);
  return *this;
}

const Topology::NodeDef* Topology::find_node(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

void Topology::enable_sending_old_values(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) throw TopologyError("no node '" + name + "'");
  NodeDef& def = nodes_[it->second];
  def.send_old_values = true;
  // A derived table computes its old values from its parent's.
  if (def.table_from_parent) {
    for (const std::string& p : def.predecessors) enable_sending_old_values(p);
  }
}

const Topology::StoreDef* Topology::find_store(const std::string& name) const {
  for (const StoreDef& s : stores_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Topology& Topology::add_global_store(GlobalStoreDef store) {
  for (const GlobalStoreDef& g : global_stores_) {
    if (g.name == store.name) throw TopologyError("global store '" + store.name + "' added twice");
  }
  if (find_store(store.name)) {
    throw TopologyError("store '" + store.name + "' is already a task's store");
  }
  global_stores_.push_back(std::move(store));
  return *this;
}

void Topology::add_copartition_group(std::vector<std::string> nodes) {
  for (const std::string& n : nodes) {
    if (!index_.count(n)) throw TopologyError("co-partitioning names an unknown node '" + n + "'");
  }
  copartition_nodes_.push_back(std::move(nodes));
}

std::vector<std::vector<Topology::TopicRef>> Topology::copartition_groups() const {
  std::vector<std::vector<TopicRef>> out;
  for (const auto& group : copartition_nodes_) {
    std::set<TopicRef> topics;
    std::vector<std::string> todo(group.begin(), group.end());
    std::set<std::string> seen;
    while (!todo.empty()) {
      std::string n = todo.back();
      todo.pop_back();
      if (!seen.insert(n).second) continue;
      const NodeDef& d = nodes_[index_.at(n)];
      if (d.kind == NodeKind::kSource) {
        for (const std::string& t : d.topics) topics.insert(TopicRef{t, d.internal_topics});
      }
      todo.insert(todo.end(), d.predecessors.begin(), d.predecessors.end());
    }
    out.emplace_back(topics.begin(), topics.end());
  }
  return out;
}

std::vector<Topology::Subtopology> Topology::subtopologies() const {
  // Union-find: nodes joined by an edge or by a shared store run in one task.
  std::vector<size_t> parent(nodes_.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto unite = [&](size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  };
  std::map<std::string, size_t> store_owner;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (const std::string& p : nodes_[i].predecessors) unite(i, index_.at(p));
    for (const std::string& s : nodes_[i].stores) {
      auto [it, fresh] = store_owner.emplace(s, i);
      if (!fresh) unite(i, it->second);
    }
  }
  // Number groups by their first node, so ids are stable for a given topology.
  std::map<size_t, size_t> group_id;
  std::vector<Subtopology> out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    size_t root = find(i);
    auto [it, fresh] = group_id.emplace(root, out.size());
    if (fresh) {
      out.emplace_back();
      out.back().id = static_cast<int>(it->second);
    }
    Subtopology& st = out[it->second];
    const NodeDef& n = nodes_[i];
    st.nodes.push_back(&n);
    auto& topics = n.kind == NodeKind::kSource
                       ? (n.internal_topics ? st.internal_source_topics : st.source_topics)
                   : n.kind == NodeKind::kSink
                       ? (n.internal_topics ? st.internal_sink_topics : st.sink_topics)
                       : st.stores;  // unused for processors
    if (n.kind != NodeKind::kProcessor)
      topics.insert(topics.end(), n.topics.begin(), n.topics.end());
    for (const std::string& s : n.stores) {
      if (std::find(st.stores.begin(), st.stores.end(), s) == st.stores.end())
        st.stores.push_back(s);
    }
  }
  return out;
}

namespace {
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}
}  // namespace

std::string Topology::describe() const {
  std::ostringstream os;
  os << "Topologies:\n";
  for (const Subtopology& st : subtopologies()) {
    os << "   Sub-topology: " << st.id << "\n";
    for (const NodeDef* n : st.nodes) {
      switch (n->kind) {
        case NodeKind::kSource:
          os << "    Source: " << n->name << " (topics: [" << join(n->topics) << "])\n";
          break;
        case NodeKind::kProcessor:
          os << "    Processor: " << n->name << " (stores: [" << join(n->stores) << "])\n";
          break;
        case NodeKind::kSink:
          os << "    Sink: " << n->name << " (topic: " << n->topics[0] << ")\n";
          break;
      }
      if (!n->successors.empty()) os << "      --> " << join(n->successors) << "\n";
      if (!n->predecessors.empty()) os << "      <-- " << join(n->predecessors) << "\n";
    }
  }
  return os.str();
}

}  // namespace brook
